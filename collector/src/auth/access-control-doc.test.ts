import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { CAPABILITIES, CAPABILITY_ROLES, ROLES } from "./capabilities.ts";

const doc = readFileSync(new URL("../../../docs/access-control.md", import.meta.url), "utf8");

describe("docs/access-control.md", () => {
  it("shows exactly the permission matrix the collector enforces", () => {
    const header = doc.split("\n").find((line) => /^\|\s*capability\s*\|/.test(line));
    expect(
      header
        ?.split("|")
        .map((cell) => cell.trim())
        .slice(3, -1),
    ).toEqual([...ROLES]);
    const rows = new Map(
      doc
        .split("\n")
        .filter((line) => /^\|\s*`[a-z_.]+`\s*\|/.test(line))
        .map((line) => {
          const cells = line.split("|").map((cell) => cell.trim());
          return [cells[1]?.replaceAll("`", ""), cells.slice(3, -1)] as const;
        }),
    );
    expect([...rows.keys()].sort()).toEqual([...CAPABILITIES].sort());
    for (const capability of CAPABILITIES) {
      const cells = rows.get(capability) ?? [];
      const allowed = ROLES.filter((_, i) => cells[i] === "Y");
      expect(allowed, capability).toEqual(
        ROLES.filter((role) => CAPABILITY_ROLES[capability].includes(role)),
      );
    }
  });
});
