import { type SQL, sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestApp, type TestApp } from "../testing/test-app.ts";
import { doraDaysQuery, doraTransitionsQuery, nextGoodDeploymentQuery } from "./insights-service.ts";
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

async function plan(query: { toSQL(): { sql: string; params: unknown[] } }): Promise<string> {
  const { sql, params } = query.toSQL();
  const result = await t.database.client.execute({
    sql: `EXPLAIN QUERY PLAN ${sql}`,
    args: params.map((p) => (typeof p === "string" || typeof p === "number" ? p : null)),
  });
  return result.rows.map((row) => String(row.detail)).join("\n");
}

async function explain(query: SQL): Promise<string> {
  const rows = await t.database.db.all<{ detail: string }>(sql`EXPLAIN QUERY PLAN ${query}`);
  return rows.map((row) => row.detail).join("\n");
}

const window = { from: "2026-01-01T00:00:00.000Z", to: "2027-01-01T00:00:00.000Z" };

// DORA for one product over a year must read that product's production rows, never the whole
// history: every table access is an index search, none a scan (test/bench has the timing).
describe("insight query plans", () => {
  // Both DORA reads: the deployments come from one index range; every per-row lookup is a search.
  const noTableScan = /SCAN (d|v|p|r|i|deployments|versions|incidents|deployment_rollbacks)\b/;

  it.each([
    ["days", doraDaysQuery],
    ["transitions", doraTransitionsQuery],
  ] as const)("DORA %s of given products read deployments_dora_idx only", async (_, query) => {
    const detail = await explain(query(t, window, ["env-1", "env-2"], ["product-1"]).getSQL());
    expect(detail).toMatch(/SEARCH d USING COVERING INDEX deployments_dora_idx/);
    expect(detail).toMatch(/SEARCH r USING COVERING INDEX deployment_rollbacks_replaced_idx/);
    expect(detail).not.toMatch(noTableScan);
  });

  it("DORA days: the commit time, incident links and first production deployment are searches", async () => {
    const detail = await explain(doraDaysQuery(t, window, ["env-1"], ["product-1"]).getSQL());
    expect(detail).toMatch(/SEARCH v USING INDEX sqlite_autoindex_versions_1/);
    expect(detail).toMatch(/SEARCH i USING COVERING INDEX incidents_deployment_idx/);
    expect(detail).toMatch(/SEARCH p USING (COVERING )?INDEX deployments_version_idx/);
  });

  it.each([
    ["days", doraDaysQuery],
    ["transitions", doraTransitionsQuery],
  ] as const)("DORA %s of every product seek deployments_environment_completed_idx", async (_, query) => {
    const detail = await explain(query(t, window, ["env-1"], null).getSQL());
    expect(detail).toMatch(/SEARCH d USING INDEX deployments_environment_completed_idx/);
    expect(detail).not.toMatch(noTableScan);
  });

  it("the restore after a window seeks deployments_dora_idx in completed_at order", async () => {
    const detail = await plan(nextGoodDeploymentQuery(t, "product-1", "env-1", window.to));
    expect(detail).toMatch(/SEARCH deployments USING (COVERING )?INDEX deployments_dora_idx/);
    expect(detail).not.toMatch(/SCAN |TEMP B-TREE/);
  });

  it("rollback detection seeks deployments_lifecycle_idx", async () => {
    const detail = await explain(
      completedBeforeQuery({ id: "d", product_id: "p", environment_id: "e", version_id: "v" }),
    );
    expect(detail).toMatch(/SEARCH deployments USING (COVERING )?INDEX deployments_lifecycle_idx/);
    expect(detail).not.toMatch(/SCAN /);
  });
});
