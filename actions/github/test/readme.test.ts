import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const actionYml = readFileSync(join(root, "action.yml"), "utf8");
const readme = readFileSync(join(root, "README.md"), "utf8");

/** Keys of a top-level mapping of action.yml (`inputs:` / `outputs:`), read from their two-space indent. */
function keysOf(section: string): string[] {
  const lines = actionYml.split("\n");
  const start = lines.indexOf(`${section}:`);
  expect(start, `action.yml has ${section}:`).toBeGreaterThanOrEqual(0);
  const keys: string[] = [];
  for (const line of lines.slice(start + 1)) {
    if (/^\S/.test(line)) break;
    const key = /^ {2}([a-z_]+):\s*$/.exec(line)?.[1];
    if (key) keys.push(key);
  }
  return keys;
}

/** Default of one input as action.yml declares it. */
function defaultOf(input: string): string {
  const block = actionYml.split(`\n  ${input}:\n`)[1]?.split(/\n {2}\S/)[0] ?? "";
  return /\n {4}default: (.*)/.exec(`\n${block}`)?.[1]?.replace(/^"(.*)"$/, "$1") ?? "";
}

/** Rows of the README table under a `## <heading>` whose first cell is a `code` name. */
function tableRows(heading: string): Map<string, string> {
  const section = readme.split(`\n## ${heading}\n`)[1]?.split(/\n## /)[0] ?? "";
  const rows = new Map<string, string>();
  for (const match of section.matchAll(/^\|\s*`([a-z_]+)`\s*\|(.*)\|$/gm)) {
    if (match[1] !== undefined) rows.set(match[1], match[2] ?? "");
  }
  return rows;
}

describe("README stays in step with action.yml", () => {
  const inputs = keysOf("inputs");
  const outputs = keysOf("outputs");

  it("action.yml declares the inputs and outputs of the spec", () => {
    expect(inputs).toEqual([
      "api_url",
      "api_key",
      "product_name",
      "version",
      "environment",
      "event_type",
      "status",
      "metadata",
      "fail_on_api_error",
    ]);
    expect(outputs).toEqual([
      "build_id",
      "version_id",
      "product_id",
      "deployment_id",
      "environment_id",
      "event_id",
    ]);
  });

  it("documents every input, with its default", () => {
    const rows = tableRows("Inputs");
    expect([...rows.keys()].sort()).toEqual([...inputs].sort());
    for (const input of inputs) {
      const documented = rows.get(input) ?? "";
      const declared = defaultOf(input);
      if (declared) expect(documented, `default of ${input}`).toContain(`\`${declared}\``);
    }
  });

  it("documents every output", () => {
    expect([...tableRows("Outputs").keys()].sort()).toEqual([...outputs].sort());
  });
});
