import { ValidationError } from "../errors.ts";

/** Metadata as the edit form shows it: one `key = value` line each; non-text values as JSON. */
export function formatMetadata(data: Record<string, unknown>): string {
  return Object.entries(data)
    .map(([key, value]) => `${key} = ${typeof value === "string" ? value : JSON.stringify(value)}`)
    .join("\n");
}

/**
 * Reads the edit form's `key = value` lines back (blank lines skipped). A value that is JSON
 * other than a plain string (a number, true, a list…) keeps its type, so editing a product does
 * not turn the numbers CI sent into text. `field` names the form field in the error.
 */
export function parseMetadata(text: string, field: string): Record<string, unknown> {
  const data: Record<string, unknown> = {};
  for (const [index, raw] of text.split(/\r?\n/).entries()) {
    const line = raw.trim();
    if (!line) continue;
    const at = line.indexOf("=");
    const key = at > 0 ? line.slice(0, at).trim() : "";
    if (!key) {
      throw ValidationError.field(["body", field, index + 1], `Line ${index + 1}: write 'key = value'`);
    }
    data[key] = typedValue(line.slice(at + 1).trim());
  }
  return data;
}

function typedValue(value: string): unknown {
  if (!/^(?:[[{]|-?\d|true$|false$|null$)/.test(value)) return value;
  try {
    return JSON.parse(value);
  } catch {
    return value;
  }
}
