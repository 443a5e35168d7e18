// What text and JSON the API accepts, as plain functions (no zod) so every caller applies one rule:
// the zod fields of this package, the collector's checks of raw payloads, and any client.

/** Deepest nesting of objects and arrays accepted in one free JSON field (`extra_metadata`…). */
export const MAX_JSON_DEPTH = 32;

/**
 * How much of the control-character range a text may use. `single-line` (names, versions, SHAs,
 * URLs, e-mails…) refuses all of C0, DEL and C1; `multi-line` (descriptions) keeps tab, line feed
 * and carriage return. Both refuse lone surrogates, which no UTF-8 byte sequence can carry.
 */
export type TextKind = "single-line" | "multi-line";

function hex(code: number): string {
  return `U+${code.toString(16).toUpperCase().padStart(4, "0")}`;
}

const allowsControl: Record<TextKind | "json", (code: number) => boolean> = {
  "single-line": () => false,
  "multi-line": (code) => code === 0x09 || code === 0x0a || code === 0x0d,
  // JSON escapes control characters at rest, so a JSON string may hold any of them.
  json: () => true,
};

/**
 * Why `value` is not acceptable text of this kind, or undefined when it is. NUL is the reason
 * this exists: SQLite stores it but reads the text back cut at it, so `1.4.0\0x` came back as a
 * second `1.4.0`. One pass over the UTF-16 code units, no regular expression.
 */
export function textProblem(value: string, kind: TextKind = "single-line"): string | undefined {
  return scan(value, allowsControl[kind]);
}

function scan(value: string, allowControl: (code: number) => boolean): string | undefined {
  for (let i = 0; i < value.length; i += 1) {
    const code = value.charCodeAt(i);
    if (code < 0x20 || (code >= 0x7f && code <= 0x9f)) {
      if (allowControl(code)) continue;
      return `must not contain the control character ${hex(code)} (at position ${i})`;
    }
    if (code >= 0xd800 && code <= 0xdfff) {
      const next = value.charCodeAt(i + 1);
      if (code <= 0xdbff && next >= 0xdc00 && next <= 0xdfff) {
        i += 1;
        continue;
      }
      return `must not contain the lone surrogate ${hex(code)} (at position ${i}): send well-formed UTF-8`;
    }
  }
  return undefined;
}

export interface JsonProblem {
  kind: "depth" | "text";
  /** Where, relative to the value checked (object keys, array indexes): the string or key at fault, or the container one level too deep. */
  path: Array<string | number>;
  message: string;
}

interface Pending {
  value: unknown;
  depth: number;
  parent: Pending | null;
  key: string | number | null;
}

function pathOf(entry: Pending): Array<string | number> {
  const path: Array<string | number> = [];
  for (let at: Pending | null = entry; at?.parent; at = at.parent) path.push(at.key as string | number);
  return path.reverse();
}

/**
 * The first reason `value` (parsed JSON) cannot be stored as a free JSON field: nesting deeper
 * than `maxDepth` objects and arrays, or a lone surrogate in a string or a key. Walks with an explicit stack, so a body nested
 * 100,000 levels costs a loop, never the call stack that `JSON.stringify` would overflow.
 * Other control characters are allowed here: JSON escapes them at rest.
 */
export function jsonProblem(value: unknown, maxDepth = MAX_JSON_DEPTH): JsonProblem | undefined {
  const stack: Pending[] = [{ value, depth: 0, parent: null, key: null }];
  while (stack.length > 0) {
    const entry = stack.pop() as Pending;
    const current = entry.value;
    if (typeof current === "string") {
      const problem = scan(current, allowsControl.json);
      if (problem) return { kind: "text", path: pathOf(entry), message: problem };
      continue;
    }
    if (current === null || typeof current !== "object") continue;
    const depth = entry.depth + 1;
    if (depth > maxDepth) {
      return {
        kind: "depth",
        path: pathOf(entry),
        message: depthMessage(maxDepth),
      };
    }
    if (Array.isArray(current)) {
      for (let i = current.length - 1; i >= 0; i -= 1) {
        stack.push({ value: current[i], depth, parent: entry, key: i });
      }
      continue;
    }
    const keys = Object.keys(current);
    for (let i = keys.length - 1; i >= 0; i -= 1) {
      const key = keys[i] as string;
      const child: Pending = { value: (current as Record<string, unknown>)[key], depth, parent: entry, key };
      const problem = scan(key, allowsControl.json);
      if (problem) return { kind: "text", path: pathOf(child), message: `key ${problem}` };
      stack.push(child);
    }
  }
  return undefined;
}

function depthMessage(maxDepth: number): string {
  return `must not nest objects and arrays more than ${maxDepth} levels deep`;
}

/**
 * `jsonProblem` of every field of a JSON object body, each field a free JSON value of its own
 * (`maxDepth` levels below the field): the path starts with the field at fault.
 */
export function fieldsProblem(
  body: Record<string, unknown>,
  maxDepth = MAX_JSON_DEPTH,
): JsonProblem | undefined {
  const problem = jsonProblem(body, maxDepth + 1);
  if (problem?.kind !== "depth") return problem;
  return { kind: "depth", path: problem.path.slice(0, 1), message: depthMessage(maxDepth) };
}
