import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { FLAGS } from "./flags.ts";
import { EXIT } from "./io.ts";

const doc = readFileSync(resolve(import.meta.dirname, "../../../docs/integrations/cli.md"), "utf8");

// The flag table of the docs is hand-written; this keeps it from drifting from the parser's table.
describe("docs/integrations/cli.md", () => {
  it.each(FLAGS.map((flag) => [flag.name, flag] as const))(
    "documents --%s with its aliases and variables",
    (_, flag) => {
      for (const name of [flag.name, ...(flag.aliases ?? [])]) expect(doc).toContain(`\`--${name}\``);
      if (flag.short) expect(doc).toContain(`\`-${flag.short}\``);
      for (const variable of flag.env ?? []) expect(doc).toContain(`\`${variable}\``);
    },
  );

  it("documents no flag the CLI does not have", () => {
    const documented = new Set([...doc.matchAll(/`--([a-z][a-z-]*)`/g)].map((match) => match[1]));
    const known = new Set(FLAGS.flatMap((flag) => [flag.name, ...(flag.aliases ?? [])]));
    expect([...documented].filter((name) => name !== undefined && !known.has(name))).toEqual([]);
  });

  it("documents every exit code", () => {
    for (const code of new Set(Object.values(EXIT)))
      expect(doc).toMatch(new RegExp(`^\\|\\s*${code}\\s*\\|`, "m"));
  });
});
