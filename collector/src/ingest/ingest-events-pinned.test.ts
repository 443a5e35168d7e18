import { BuildEventInput, DeploymentEventInput } from "@versioner/schema";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type DomainEvent, DomainEventBus } from "../events/domain-events.ts";
import { CollectorMetrics } from "../metrics/collector-metrics.ts";
import { createTestApp, type TestApp, unique } from "../testing/test-app.ts";
import {
  type BatchItem,
  type IngestDeps,
  ingestBatch,
  ingestBuild,
  ingestDeployment,
} from "./ingest-service.ts";

// What ingest publishes inside its transaction (`build.<status>`, `deployment.<status>`): the
// notification, release and insight subscribers read these fields and nothing else.

let t: TestApp;
let published: DomainEvent[];
let deps: IngestDeps;
beforeAll(async () => {
  t = await createTestApp();
  const bus = new DomainEventBus();
  bus.subscribe((event) => {
    published.push(event);
  });
  deps = {
    database: t.database,
    runtime: t.runtime,
    clock: t.clock,
    dedupWindowSeconds: 600,
    bus,
    metrics: new CollectorMetrics(),
  };
});
afterAll(() => t.close());

async function build(body: Record<string, unknown>) {
  published = [];
  const result = await ingestBuild(deps, BuildEventInput.parse(body), body);
  return { result, events: published };
}

async function deployment(body: Record<string, unknown>) {
  published = [];
  const result = await ingestDeployment(deps, DeploymentEventInput.parse(body), body);
  return { result, events: published };
}

/** The version that was current before (subscribers load it on demand). */
function previousVersion(event: DomainEvent | undefined): Promise<unknown> {
  const load = event?.data.previous_version;
  if (typeof load !== "function") throw new Error("previous_version is not a loader");
  return load();
}

/** The id of a row an event carries in its data (`deployment`, `version`, …). */
function idOf(event: DomainEvent | undefined, row: string): string {
  const value = event?.data[row] as { id?: string } | undefined;
  if (!value?.id) throw new Error(`the event carries no ${row}`);
  return value.id;
}

async function receivedAt(eventId: string): Promise<string> {
  const result = await t.database.client.execute({
    sql: "SELECT received_at FROM events WHERE id = ?",
    args: [eventId],
  });
  return String(result.rows[0]?.received_at);
}

describe("build events", () => {
  it("publishes build.<status> with the product, version, build and response", async () => {
    const product = unique("pub-build");
    const { result, events } = await build({ product_name: product, version: "1", status: "started" });
    expect(events).toHaveLength(1);
    const [event] = events;
    const body = result.body;
    expect(event).toMatchObject({
      type: "build.started",
      occurred_at: await receivedAt(body.event_id),
      product_id: body.product_id,
      product_name: product,
      status: "started",
    });
    expect(event?.data).toMatchObject({
      product: { id: body.product_id, name: product },
      version: { id: body.version_id, version: "1" },
      build: { id: body.build_id, status: "started" },
      response: body,
    });
    const next = await build({ product_name: product, version: "1", status: "failed" });
    expect(next.events.map((e) => [e.type, e.status])).toEqual([["build.failed", "failed"]]);
  });

  it("publishes nothing for a repeat", async () => {
    const body = { product_name: unique("pub-repeat"), version: "1", status: "completed" };
    await build(body);
    const again = await build(body);
    expect(again.result.replayed).toBe(true);
    expect(again.events).toEqual([]);
  });
});

describe("deployment events", () => {
  it("publishes deployment.<status> with the environment, and no previous version on a first deployment", async () => {
    const product = unique("pub-deploy");
    const environment = unique("production");
    const { result, events } = await deployment({
      product_name: product,
      version: "1",
      environment_name: environment,
      status: "started",
    });
    const body = result.body;
    expect(events).toHaveLength(1);
    const [event] = events;
    expect(event).toMatchObject({
      type: "deployment.started",
      occurred_at: await receivedAt(body.event_id),
      product_id: body.product_id,
      product_name: product,
      environment_id: body.environment_id,
      environment_name: environment,
      environment_type: "production",
      status: "started",
    });
    expect(event?.data).toMatchObject({
      product: { id: body.product_id },
      version: { id: body.version_id },
      environment: { id: body.environment_id, name: environment },
      deployment: { id: body.deployment_id, status: "started" },
      response: body,
      previous_version_id: null,
      state_before: undefined,
    });
    expect(await previousVersion(event)).toBeNull();
  });

  it("names the version that was current before, and the cell as it was", async () => {
    const product = unique("pub-prev");
    const first = await deployment({
      product_name: product,
      version: "1",
      environment_name: "prod",
      status: "completed",
    });
    const { events } = await deployment({
      product_name: product,
      version: "2",
      environment_name: "prod",
      status: "completed",
    });
    const data = events[0]?.data ?? {};
    expect(data.previous_version_id).toBe(first.result.body.version_id);
    expect(data.state_before).toMatchObject({
      current_version: "1",
      current_deployment_id: first.result.body.deployment_id,
    });
    expect(await previousVersion(events[0])).toMatchObject({
      id: first.result.body.version_id,
      version: "1",
    });
  });

  it("has no previous version when the same version is deployed again, or when nothing completed before", async () => {
    const product = unique("pub-same");
    await deployment({ product_name: product, version: "1", environment_name: "prod", status: "failed" });
    const afterFailure = await deployment({
      product_name: product,
      version: "2",
      environment_name: "prod",
      status: "completed",
    });
    expect(afterFailure.events[0]?.data.state_before).toMatchObject({
      current_version: null,
      last_status: "failed",
    });
    expect(await previousVersion(afterFailure.events[0])).toBeNull();
    t.clock.advance(3_600_000);
    const again = await deployment({
      product_name: product,
      version: "2",
      environment_name: "prod",
      status: "completed",
    });
    expect(again.result.replayed).toBe(false);
    expect(again.events[0]?.data.previous_version_id).toBe(afterFailure.result.body.version_id);
    expect(await previousVersion(again.events[0])).toBeNull();
  });
});

describe("the cell before each event of a batch", () => {
  // Later events of a batch see the cell as the earlier ones left it, by the same rules the
  // database applies at commit: current only moves to a later completion, last to a later attempt.
  async function cellsBefore(product: string, events: Array<Record<string, unknown>>) {
    published = [];
    const items: BatchItem[] = events.map((event) => ({
      kind: "deployment",
      event: { product_name: product, environment_name: "prod", ...event },
    }));
    const response = await ingestBatch(deps, items);
    expect(response.rejected).toBe(0);
    return published.map((event) => event.data.state_before as Record<string, unknown> | undefined);
  }

  it("keeps a later completion current over a back-dated one, and a later attempt last", async () => {
    const product = unique("cell-backdated");
    const cells = await cellsBefore(product, [
      { version: "1", status: "completed", completed_at: "2026-02-28T12:00:00Z" },
      { version: "2", status: "completed", completed_at: "2026-02-28T11:00:00Z" },
      { version: "3", status: "started" },
    ]);
    expect(cells[0]).toBeUndefined();
    expect(cells[2]).toMatchObject({
      current_deployment_id: idOf(published[0], "deployment"),
      current_version: "1",
      current_deployed_at: "2026-02-28T12:00:00.000Z",
      last_deployment_id: idOf(published[0], "deployment"),
      last_version: "1",
      last_status: "completed",
      last_at: "2026-02-28T12:00:00.000Z",
    });
  });

  it("moves the cell back when the deployment it shows is corrected to an earlier time", async () => {
    const product = unique("cell-corrected");
    const cells = await cellsBefore(product, [
      { version: "1", status: "completed", invoke_id: "r", completed_at: "2026-02-28T12:00:00Z" },
      { version: "1", status: "completed", invoke_id: "r", completed_at: "2026-02-28T11:00:00Z" },
      { version: "2", status: "started" },
    ]);
    expect(cells[2]).toMatchObject({
      current_version: "1",
      current_deployed_at: "2026-02-28T11:00:00.000Z",
      last_at: "2026-02-28T11:00:00.000Z",
    });
  });

  it("shows a failed attempt as last while the completed version stays current", async () => {
    const product = unique("cell-failed");
    const cells = await cellsBefore(product, [
      { version: "1", status: "completed", deployed_by: "jdoe", completed_at: "2026-02-28T12:00:00Z" },
      { version: "2", status: "failed" },
      { version: "3", status: "started" },
    ]);
    const [completed, failed] = published;
    expect(cells[2]).toMatchObject({
      current_deployment_id: idOf(completed, "deployment"),
      current_version_id: idOf(completed, "version"),
      current_version: "1",
      current_deployed_at: "2026-02-28T12:00:00.000Z",
      current_deployed_by: "jdoe",
      last_deployment_id: idOf(failed, "deployment"),
      last_version: "2",
      last_status: "failed",
    });
    expect(cells[1]).toMatchObject({ last_version: "1", last_status: "completed" });
  });

  it("marks the attempt a back-dated cell still shows as aborted once a newer attempt replaces it", async () => {
    const product = unique("cell-aborted");
    const cells = await cellsBefore(product, [
      { version: "1", status: "started", started_at: "2026-02-28T12:00:00Z" },
      { version: "2", status: "completed", completed_at: "2026-02-28T11:00:00Z" },
      { version: "1", status: "started", started_at: "2026-02-28T10:00:00Z" },
      { version: "4", status: "started", started_at: "2026-02-28T09:00:00Z" },
    ]);
    expect(cells[2]).toMatchObject({ last_version: "1", last_status: "started" });
    expect(cells[3]).toMatchObject({ last_version: "1", last_status: "aborted" });
    const stored = await t.database.client.execute({
      sql: "SELECT s.last_version, s.last_status FROM current_state s JOIN products p ON p.id = s.product_id WHERE p.name = ?",
      args: [product],
    });
    expect(stored.rows[0]).toMatchObject({ last_version: "1", last_status: "aborted" });
  });
});

describe("preflight for events without a caller", () => {
  it("refuses the skip flag and records the refusal with no actor", async () => {
    const product = unique("no-caller");
    const rule = await t.call("POST", "/rules", {
      name: unique("freeze"),
      type: "schedule",
      scope: { products: [product] },
      settings: { recurrence: "daily", timezone: "UTC", start: "00:00", end: "24:00" },
    });
    expect(rule.status).toBe(201);
    const body = {
      product_name: product,
      version: "1",
      environment_name: "production",
      status: "started",
      skip_preflight_checks: true,
    };
    await expect(ingestDeployment(deps, DeploymentEventInput.parse(body), body)).rejects.toMatchObject({
      status: 423,
    });
    const failures = await t.database.client.execute({
      sql: "SELECT actor FROM preflight_failures WHERE product = ?",
      args: [product],
    });
    expect(failures.rows.map((r) => r.actor)).toEqual([null]);
  });
});
