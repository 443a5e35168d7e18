import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestApp, type TestApp } from "../testing/test-app.ts";
import {
  doraDeploymentsQuery,
  incidentLinkedQuery,
  nextGoodDeploymentQuery,
  rolledBackQuery,
} from "./insights-service.ts";
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

const window = { from: "2026-01-01T00:00:00.000Z", to: "2027-01-01T00:00:00.000Z" };

// DORA for one product over a year must read that product's production rows, never the whole
// history: every table access is an index search, none a scan (test/bench has the timing).
describe("insight query plans", () => {
  it("DORA deployments of given products read only deployments_dora_idx; lookups are index searches", async () => {
    const detail = await plan(doraDeploymentsQuery(t, window, ["env-1", "env-2"], ["product-1"]));
    expect(detail).toMatch(/SEARCH deployments USING COVERING INDEX deployments_dora_idx/);
    expect(detail).toMatch(/SEARCH versions USING INDEX sqlite_autoindex_versions_1/);
    expect(detail).toMatch(/SEARCH p USING INDEX deployments_version_idx/);
    expect(detail).not.toMatch(/SCAN /);
  });

  it("rollback and incident marks are index searches by environment", async () => {
    for (const products of [["product-1"], null]) {
      const rolledBack = await plan(rolledBackQuery(t, ["env-1"], products));
      expect(rolledBack).toMatch(
        /SEARCH deployment_rollbacks USING INDEX deployment_rollbacks_environment_product_idx/,
      );
      const linked = await plan(incidentLinkedQuery(t, ["env-1"], products));
      expect(linked).toMatch(/SEARCH incidents USING INDEX incidents_(product_)?environment_opened_idx/);
      for (const detail of [rolledBack, linked]) expect(detail).not.toMatch(/SCAN /);
    }
  });

  it("DORA deployments of every product seek deployments_environment_completed_idx", async () => {
    const detail = await plan(doraDeploymentsQuery(t, window, ["env-1"], null));
    expect(detail).toMatch(/SEARCH deployments USING INDEX deployments_environment_completed_idx/);
    expect(detail).not.toMatch(/SCAN /);
  });

  it("the restore after a window seeks deployments_dora_idx in completed_at order", async () => {
    const detail = await plan(nextGoodDeploymentQuery(t, "product-1", "env-1", window.to));
    expect(detail).toMatch(/SEARCH deployments USING (COVERING )?INDEX deployments_dora_idx/);
    expect(detail).not.toMatch(/SCAN |TEMP B-TREE/);
  });

  it("rollback detection seeks deployments_lifecycle_idx", async () => {
    const query = completedBeforeQuery({ id: "d", product_id: "p", environment_id: "e", version_id: "v" });
    const rows = await t.database.db.all<{ detail: string }>(sql`EXPLAIN QUERY PLAN ${query}`);
    const detail = rows.map((row) => row.detail).join("\n");
    expect(detail).toMatch(/SEARCH deployments USING (COVERING )?INDEX deployments_lifecycle_idx/);
    expect(detail).not.toMatch(/SCAN /);
  });
});
