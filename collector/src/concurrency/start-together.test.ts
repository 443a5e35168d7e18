import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { openDatabase } from "../db/client.ts";

describe("collectors starting at once on an empty database", () => {
  it("all three open it: the migrations are applied once and nobody fails", async () => {
    const dir = mkdtempSync(join(tmpdir(), "versioner-start-"));
    try {
      const url = `file:${join(dir, "versioner.db")}`;
      const secretKey = "a".repeat(64);
      const opened = await Promise.allSettled([1, 2, 3].map(() => openDatabase({ url, secretKey })));
      expect(opened.map((o) => (o.status === "rejected" ? String(o.reason) : "ok"))).toEqual([
        "ok",
        "ok",
        "ok",
      ]);
      const [first] = opened;
      if (first?.status !== "fulfilled") throw new Error("unreachable");
      const applied = await first.value.client.execute("SELECT count(*) AS n FROM __drizzle_migrations");
      const files = await first.value.client.execute(
        "SELECT count(*) AS n FROM sqlite_master WHERE name = 'audit_log'",
      );
      expect(Number(files.rows[0]?.n)).toBe(1);
      expect(Number(applied.rows[0]?.n)).toBeGreaterThan(0);
      for (const o of opened) if (o.status === "fulfilled") o.value.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
