import { type SQL, sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestApp, type TestApp } from "../testing/test-app.ts";
import { MOVE_DORA_FACTS } from "./dora-facts.ts";
import { doraFactsQuery, nextGoodDeploymentQuery } from "./insights-service.ts";
import { completedBeforeQuery } from "./rollback-detector.ts";

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
  // Enough history that a scan would be chosen only by a wrong plan, not by an empty table.
  const events = Array.from({ length: 300 }, (_, i) => ({
    kind: "deployment",
    event: {
      product_name: `plan-${i % 5}`,
      version: `1.${i % 40}`,
      environment_name: ["prod", "staging", "dev"][i % 3],
      status: i % 7 === 0 ? "failed" : "completed",
      invoke_id: `r${i}`,
      completed_at: new Date(Date.UTC(2026, 0, 1) + i * 3_600_000).toISOString(),
    },
  }));
  expect((await t.call("POST", "/events/batch", { events })).status).toBe(200);
});
afterAll(() => t.close());

async function explain(query: SQL): Promise<string> {
  const rows = await t.database.db.all<{ detail: string }>(sql`EXPLAIN QUERY PLAN ${query}`);
  return rows.map((row) => row.detail).join("\n");
}

const window = { from: "2026-01-01T00:00:00.000Z", to: "2027-01-01T00:00:00.000Z" };

// DORA for one product over a year must read that product's production rows, never the whole
// history: every table access is an index search, none a scan (test/bench has the timing).
describe("insight query plans", () => {
  // DORA reads the dora_facts read model only, through its covering index, in index order (the
  // GROUP BY follows the index: no sort), so each pair's packed facts come in finished_at order.
  it("DORA facts of given products read dora_facts_read_idx only, with no sort", async () => {
    const detail = await explain(doraFactsQuery(t, window, ["env-1", "env-2"], ["product-1"]).getSQL());
    expect(detail).toMatch(/SEARCH f USING COVERING INDEX dora_facts_read_idx/);
    expect(detail).not.toMatch(/SCAN (f|dora_facts)\b|TEMP B-TREE/);
  });

  it("DORA facts of every product seek dora_facts_environment_idx", async () => {
    const detail = await explain(doraFactsQuery(t, window, ["env-1"], null).getSQL());
    expect(detail).toMatch(/SEARCH f USING INDEX dora_facts_environment_idx/);
    expect(detail).not.toMatch(/SCAN (f|dora_facts)\b/);
  });

  it("the restore after a window seeks dora_facts_read_idx in finished_at order", async () => {
    const detail = await explain(nextGoodDeploymentQuery(t, "product-1", "env-1", window.to).getSQL());
    expect(detail).toMatch(/SEARCH dora_facts USING COVERING INDEX dora_facts_read_idx/);
    expect(detail).not.toMatch(/SCAN |TEMP B-TREE/);
  });

  // The move reads the pending facts whole, in append order (their rowid), and each one's incident
  // link by its index.
  it("moving the pending facts scans them in rowid order and seeks each incident link", async () => {
    const [move] = MOVE_DORA_FACTS;
    expect(move).toBeDefined();
    const detail = await explain(sql.raw(move?.sql as string));
    expect(detail).toMatch(/SCAN p\b/);
    expect(detail).toMatch(/SEARCH i USING COVERING INDEX incidents_deployment_idx/);
    expect(detail).not.toMatch(/TEMP B-TREE|SCAN i\b/);
  });

  it("rollback detection seeks deployments_lifecycle_idx", async () => {
    const detail = await explain(
      completedBeforeQuery({ id: "d", product_id: "p", environment_id: "e", version_id: "v" }),
    );
    expect(detail).toMatch(/SEARCH deployments USING (COVERING )?INDEX deployments_lifecycle_idx/);
    expect(detail).not.toMatch(/SCAN /);
  });
});
