import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestApp, type TestApp } from "../testing/test-app.ts";

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
  // Enough history that a scan would be chosen only by a wrong plan, not by an empty table.
  const events = Array.from({ length: 300 }, (_, i) => ({
    kind: "deployment",
    event: {
      product_name: `plan-${i % 5}`,
      version: `1.${i}`,
      environment_name: "prod",
      status: "completed",
      invoke_id: `r${i}`,
    },
  }));
  expect((await t.call("POST", "/events/batch", { events })).status).toBe(200);
});
afterAll(() => t.close());

async function plan(sql: string, params: unknown[]): Promise<string> {
  const result = await t.database.client.execute({
    sql: `EXPLAIN QUERY PLAN ${sql}`,
    // Placeholders stand for the values: the plan does not depend on them.
    args: params.map((p) =>
      typeof p === "string" || typeof p === "number" ? p : typeof p === "boolean" ? Number(p) : null,
    ),
  });
  return result.rows.map((row) => String(row.detail)).join("\n");
}

describe("ingest query plans", () => {
  // Each event runs these reads; at millions of deployments a scan of an environment's or a
  // product's history would make ingest slower with every event (a bench found exactly that).
  it.each([
    ["deploymentByInvoke", "deployments_lifecycle_idx"],
    ["openDeploymentWithoutInvoke", "deployments_lifecycle_idx"],
    ["buildByInvoke", "builds_version_invoke_idx"],
    ["openBuildWithoutInvoke", "builds_version_invoke_idx"],
    ["version", "versions_product_version_uq"],
    ["state", "sqlite_autoindex_current_state_1"],
    ["latestDeploymentEvent", "sqlite_autoindex_current_state_1"],
    ["latestBuildEvent", "events_build_stream_idx"],
    ["eventById", "sqlite_autoindex_events_1"],
    ["eventByIdempotencyKey", "events_idempotency_key_uq"],
  ] as const)("%s seeks through %s without sorting", async (name, index) => {
    const query = t.runtime.committer.reads[name].getQuery();
    const detail = await plan(query.sql, query.params);
    expect(detail).toMatch(new RegExp(`USING (COVERING )?INDEX ${index}`));
    expect(detail).not.toMatch(/TEMP B-TREE|SCAN /);
  });

  // The version leads the lifecycle index (its ids are time-ordered: a new version's deployments
  // share the index's last leaf), so the seek is on the version and the environment, not the product.
  it.each(["deploymentByInvoke", "openDeploymentWithoutInvoke"] as const)(
    "%s seeks the lifecycle index by version, environment and invoke_id",
    async (name) => {
      const query = t.runtime.committer.reads[name].getQuery();
      const detail = await plan(query.sql, query.params);
      expect(detail).toMatch(
        /INDEX deployments_lifecycle_idx \(version_id=\? AND environment_id=\? AND invoke_id=\?\)/,
      );
    },
  );

  // A group's prefetch reads every key it names at once (one JSON list, json_each): each key is a
  // seek, and the list is the only thing scanned (the virtual table `wanted`), never a table.
  it.each([
    ["products", /SEARCH products USING INDEX products_name_unique/],
    ["environments", /SEARCH environments USING INDEX environments_name_unique/],
    ["versions", /SEARCH versions USING INDEX versions_product_version_uq/],
    ["states", /SEARCH current_state USING INDEX sqlite_autoindex_current_state_1/],
  ] as const)("the prefetch of %s seeks each key", async (name, seek) => {
    const query = t.runtime.committer.reads.prefetch[name].getQuery();
    const detail = await plan(query.sql, query.params);
    expect(detail).toMatch(seek);
    const scanned = detail.replace(/SCAN (wanted )?VIRTUAL TABLE INDEX \d+:/g, "");
    expect(scanned).not.toMatch(/TEMP B-TREE|SCAN /);
  });
});
