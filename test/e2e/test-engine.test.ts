import { existsSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { api, startCollector } from "../support/collector.ts";
import { TEST_ENGINE } from "../support/database.ts";

/** The rows of one query, asked of the libSQL server itself over its HTTP API (not through the collector). */
async function askServer(url: string, sql: string): Promise<unknown[][]> {
  const res = await fetch(`${url}/v2/pipeline`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ requests: [{ type: "execute", stmt: { sql } }, { type: "close" }] }),
  });
  const body = (await res.json()) as {
    results: { response?: { result: { rows: { value: unknown }[][] } } }[];
  };
  return (body.results[0]?.response?.result.rows ?? []).map((row) => row.map((cell) => cell.value));
}

// `npm test` runs these tests once per engine: a run meant for the libSQL server that quietly
// fell back to a local file would pass everything and prove nothing, so the selection is tested.
describe(`the test engine (${TEST_ENGINE})`, () => {
  it("is the one VERSIONER_TEST_ENGINE names, and the collector process writes to it", async () => {
    expect(TEST_ENGINE).toBe(process.env.VERSIONER_TEST_ENGINE || "file");
    const collector = await startCollector();
    try {
      expect((await api(collector, "POST", "/products", { name: "engine-check" })).status).toBe(201);
      if (TEST_ENGINE === "sqld") {
        expect(collector.databaseUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
        expect(await askServer(collector.databaseUrl, "SELECT name FROM products")).toEqual([
          ["engine-check"],
        ]);
      } else {
        expect(collector.databaseUrl).toMatch(/^file:\//);
        expect(existsSync(collector.databaseUrl.slice("file:".length))).toBe(true);
      }
    } finally {
      await collector.stop();
    }
  });
});
