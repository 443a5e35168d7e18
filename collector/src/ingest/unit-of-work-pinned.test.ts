import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { plainStatement } from "../db/compiled-writes.ts";
import { bareVersion, postDeployment, testUnit } from "../testing/ingest-fixtures.ts";
import { createTestApp, type TestApp, unique } from "../testing/test-app.ts";
import type { BuildRow, DeploymentRow, EventRow, StateRow, VersionRow } from "./unit-of-work.ts";

// The unit of work directly: every read goes to the database once and then answers from what the
// unit holds, its own planned rows first; each kind of row is kept under its own full key.

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(() => t.close());

const unit = () => testUnit(t);
const NOW = "2026-03-01T10:00:00.000Z";

function version(productId: string, name: string): VersionRow {
  return bareVersion(unique("v"), productId, name, NOW);
}

function deployment(
  ids: { product: string; environment: string; version: string },
  extra: Partial<DeploymentRow>,
) {
  return {
    id: unique("d"),
    product_id: ids.product,
    environment_id: ids.environment,
    version_id: ids.version,
    status: "started",
    deployed_by: null,
    deployed_by_email: null,
    deployed_by_name: null,
    deploy_url: null,
    source_system: null,
    invoke_id: null,
    started_at: NOW,
    completed_at: null,
    extra_metadata: {},
    created_at: NOW,
    updated_at: NOW,
    ...extra,
  } satisfies DeploymentRow;
}

function build(versionId: string, extra: Partial<BuildRow>): BuildRow {
  return {
    id: unique("b"),
    version_id: versionId,
    status: "started",
    build_number: null,
    build_url: null,
    invoke_id: null,
    source_system: null,
    built_by: null,
    started_at: NOW,
    completed_at: null,
    extra_metadata: {},
    created_at: NOW,
    updated_at: NOW,
    ...extra,
  };
}

function eventRow(extra: Partial<EventRow>): EventRow {
  return {
    id: unique("e"),
    kind: "deployment",
    idempotency_key: null,
    body_hash: "h",
    product_id: "p",
    version_id: "v",
    environment_id: "env",
    record_id: "r",
    status: "completed",
    payload: {},
    response: {},
    received_at: NOW,
    ...extra,
  };
}

describe("stored rows", () => {
  it("are read once, then answered from the unit", async () => {
    const product = unique("uow-stored");
    const res = await postDeployment(t, product, "1", "uow-env", "started", { invoke_id: "run" });
    const u = unit();
    const p1 = await u.productByName(product);
    expect(p1?.id).toBe(res.body.product_id);
    expect(await u.productByName(product)).toBe(p1);
    const v1 = await u.version(res.body.product_id, "1");
    expect(v1?.id).toBe(res.body.version_id);
    expect(await u.version(res.body.product_id, "1")).toBe(v1);
    const e1 = await u.environmentByName("uow-env");
    expect(e1?.id).toBe(res.body.environment_id);
    expect(await u.environmentByName("uow-env")).toBe(e1);
    const d1 = await u.deploymentToAdvance(
      res.body.product_id,
      res.body.environment_id,
      res.body.version_id,
      "run",
    );
    expect(d1?.id).toBe(res.body.deployment_id);
    expect(
      await u.deploymentToAdvance(res.body.product_id, res.body.environment_id, res.body.version_id, "run"),
    ).toBe(d1);
    const s1 = await u.state(res.body.product_id, res.body.environment_id);
    expect(s1?.last_deployment_id).toBe(res.body.deployment_id);
    const stream = { product_id: res.body.product_id, environment_id: res.body.environment_id };
    const l1 = await u.latestEvent(stream);
    expect(l1?.id).toBe(res.body.event_id);
    expect(await u.latestEvent(stream)).toBe(l1);
  });

  it("reads a stored build run and cell once", async () => {
    const product = unique("uow-build");
    const res = await t.call("POST", "/build-events", {
      product_name: product,
      version: "1",
      status: "started",
      invoke_id: "run",
    });
    const deployed = await postDeployment(t, product, "1", "uow-env", "started");
    const u = unit();
    const b1 = await u.buildToAdvance(res.body.version_id, "run");
    expect(b1?.id).toBe(res.body.build_id);
    expect(await u.buildToAdvance(res.body.version_id, "run")).toBe(b1);
    const s1 = await u.state(deployed.body.product_id, deployed.body.environment_id);
    expect(s1?.last_deployment_id).toBe(deployed.body.deployment_id);
    expect(await u.state(deployed.body.product_id, deployed.body.environment_id)).toBe(s1);
  });

  it("answers missing rows with undefined, also the second time", async () => {
    const u = unit();
    for (let i = 0; i < 2; i++) {
      expect(await u.productByName(unique("none"))).toBeUndefined();
      expect(await u.state("no-product", "no-env")).toBeUndefined();
      expect(await u.deploymentToAdvance("p", "e", "v", undefined)).toBeUndefined();
      expect(await u.buildToAdvance("v", "run")).toBeUndefined();
      expect(await u.eventByIdempotencyKey(unique("no-key"))).toBeUndefined();
      expect(await u.eventById(unique("no-event"))).toBeUndefined();
    }
    expect(await u.state("no-product", "no-env")).toBeUndefined();
  });
});

describe("planned rows", () => {
  it("keep versions apart by product and by name", async () => {
    const u = unit();
    const a1 = version("pa", "1");
    const a2 = version("pa", "2");
    const b1 = version("pb", "1");
    for (const row of [a1, a2, b1]) u.rememberVersion(row);
    expect(await u.version("pa", "1")).toBe(a1);
    expect(await u.version("pa", "2")).toBe(a2);
    expect(await u.version("pb", "1")).toBe(b1);
  });

  it("keep the highest sort order of the environments", async () => {
    const u = unit();
    const max = await u.maxSortOrder();
    const env = (sort_order: number) => ({
      id: unique("env"),
      name: unique("env"),
      type: "dev",
      description: null,
      metadata: {},
      sort_order,
      created_at: NOW,
      updated_at: NOW,
    });
    const high = env(max + 500);
    u.rememberEnvironment(high);
    u.rememberEnvironment(env(max + 20));
    expect(await u.maxSortOrder()).toBe(max + 500);
    expect(await u.environmentByName(high.name)).toBe(high);
  });

  it("advance a deployment without invoke_id only while it is unfinished; a run's whatever its status", async () => {
    const u = unit();
    const ids = { product: "p", environment: "e", version: "v" };
    const open = deployment(ids, { status: "pending" });
    u.rememberDeployment(open);
    expect(await u.deploymentToAdvance("p", "e", "v", undefined)).toBe(open);
    const started = { ...open, status: "started" };
    u.rememberDeployment(started);
    expect(await u.deploymentToAdvance("p", "e", "v", undefined)).toBe(started);
    u.rememberDeployment({ ...open, status: "completed" });
    expect(await u.deploymentToAdvance("p", "e", "v", undefined)).toBeUndefined();
    const run = deployment(ids, { status: "failed", invoke_id: "r" });
    u.rememberDeployment(run);
    expect(await u.deploymentToAdvance("p", "e", "v", "r")).toBe(run);
    expect(await u.deploymentToAdvance("p", "e", "v", "other")).toBeUndefined();
    expect(await u.deploymentToAdvance("p", "e2", "v", "r")).toBeUndefined();
  });

  it("advance a build without invoke_id only while it is unfinished; a run's whatever its status", async () => {
    const u = unit();
    const open = build("v", { status: "pending" });
    u.rememberBuild(open);
    expect(await u.buildToAdvance("v", undefined)).toBe(open);
    const started = { ...open, status: "started" };
    u.rememberBuild(started);
    expect(await u.buildToAdvance("v", undefined)).toBe(started);
    u.rememberBuild({ ...open, status: "aborted" });
    expect(await u.buildToAdvance("v", undefined)).toBeUndefined();
    const run = build("v", { status: "completed", invoke_id: "r" });
    u.rememberBuild(run);
    expect(await u.buildToAdvance("v", "r")).toBe(run);
    expect(await u.buildToAdvance("v2", "r")).toBeUndefined();
  });

  const cell = (product_id: string, environment_id: string): StateRow => ({
    product_id,
    environment_id,
    current_deployment_id: null,
    current_version_id: null,
    current_version: null,
    current_deployed_at: null,
    current_deployed_by: null,
    last_deployment_id: unique("d"),
    last_version: "1",
    last_status: "started",
    last_at: NOW,
    latest_event_id: null,
  });
  const write = (row: StateRow) => ({ sql: "SELECT ?", args: [row.latest_event_id] });

  it("keep the cell per product and environment", async () => {
    const u = unit();
    const a = cell("p", "e1");
    const b = cell("p", "e2");
    u.rememberState(a);
    u.rememberState(b);
    expect(await u.state("p", "e1")).toBe(a);
    expect(await u.state("p", "e2")).toBe(b);
  });

  it("keep events by key, by id and as the latest of their stream, builds and deployments apart", async () => {
    const u = unit();
    const keyed = eventRow({ idempotency_key: unique("k"), environment_id: "e", product_id: "p" });
    const unkeyed = eventRow({ idempotency_key: null, kind: "build", environment_id: null, version_id: "v" });
    u.planCell(cell("p", "e"), false, write);
    u.planCell(cell("p", "e2"), false, write);
    u.rememberEvent(keyed);
    u.rememberEvent(unkeyed);
    expect(await u.eventByIdempotencyKey(String(keyed.idempotency_key))).toBe(keyed);
    expect(await u.eventById(keyed.id)).toBe(keyed);
    expect(await u.eventById(unkeyed.id)).toBe(unkeyed);
    expect(await u.latestEvent({ product_id: "p", environment_id: "e" })).toBe(keyed);
    expect(await u.latestEvent({ version_id: "v" })).toBe(unkeyed);
    expect(await u.latestEvent({ version_id: "p" })).toBeUndefined();
    const elsewhere = eventRow({ product_id: "p", environment_id: "e2" });
    u.rememberEvent(elsewhere);
    expect(await u.latestEvent({ product_id: "p", environment_id: "e2" })).toBe(elsewhere);
    expect(await u.latestEvent({ product_id: "p", environment_id: "e" })).toBe(keyed);
  });

  it("give a deployment event's id to its cell's write, the last event of the unit in the cell", async () => {
    const u = unit();
    u.planCell(cell("p", "e"), false, write);
    const first = eventRow({ product_id: "p", environment_id: "e" });
    const second = eventRow({ product_id: "p", environment_id: "e" });
    u.rememberEvent(first);
    expect((await u.state("p", "e"))?.latest_event_id).toBe(first.id);
    u.rememberEvent(second);
    expect((await u.state("p", "e"))?.latest_event_id).toBe(second.id);
    expect(u.transaction().map((statement) => plainStatement(statement).args)).toContainEqual([second.id]);
  });

  it("refuse a deployment event whose cell's write is not planned", () => {
    const u = unit();
    expect(() => u.rememberEvent(eventRow({ product_id: "p", environment_id: "nowhere" }))).toThrow(
      /stored without its \/state cell's write/,
    );
  });
});
