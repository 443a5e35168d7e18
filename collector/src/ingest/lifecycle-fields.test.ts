import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { postDeployment, stateCell } from "../testing/ingest-fixtures.ts";
import { createTestApp, type TestApp, unique } from "../testing/test-app.ts";

// What each lifecycle event keeps, sets and leaves alone on the records it advances, value by value.

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(() => t.close());

const deploy = (product: string, version: string, environment: string, status: string, extra: object = {}) =>
  postDeployment(t, product, version, environment, status, extra);

const build = (product: string, version: string, status: string, extra: object = {}) =>
  t.call("POST", "/build-events", { product_name: product, version, status, ...extra });

async function row(table: "deployments" | "builds" | "versions", id: string) {
  const result = await t.database.client.execute({ sql: `SELECT * FROM ${table} WHERE id = ?`, args: [id] });
  return result.rows[0] as unknown as Record<string, string | null>;
}

/** When the collector received an event: the `now` it stamped on the records the event wrote. */
async function receivedAt(eventId: string): Promise<string> {
  const result = await t.database.client.execute({
    sql: "SELECT received_at FROM events WHERE id = ?",
    args: [eventId],
  });
  return String(result.rows[0]?.received_at);
}

const SHA = "0123456789abcdef0123456789abcdef01234567";

describe("a completing deployment event keeps what `started` recorded", () => {
  it("keeps deployed_by*, deploy_url, source_system and metadata that the completing event omits", async () => {
    const product = unique("keep");
    const started = await deploy(product, "1", "prod", "started", {
      invoke_id: "run-1",
      deployed_by: "jdoe",
      deployed_by_email: "jdoe@example.com",
      deployed_by_name: "Jane Doe",
      deploy_url: "https://ci.example.com/run/1",
      source_system: "jenkins",
      extra_metadata: { ticket: "OPS-1", region: "eu" },
    });
    t.clock.advance(60_000);
    const completed = await deploy(product, "1", "prod", "completed", {
      invoke_id: "run-1",
      extra_metadata: { region: "us", duration: 60 },
    });
    expect(completed.body.deployment_id).toBe(started.body.deployment_id);
    expect(completed.body).toMatchObject({
      status: "completed",
      deployed_by: "jdoe",
      deployed_by_email: "jdoe@example.com",
      deployed_by_name: "Jane Doe",
      deploy_url: "https://ci.example.com/run/1",
      source_system: "jenkins",
      extra_metadata: { ticket: "OPS-1", region: "us", duration: 60 },
    });
    expect((await stateCell(t, product, "prod")).current.deployed_by).toBe("jdoe");
  });

  it("lets the completing event replace a value it does send", async () => {
    const product = unique("replace");
    await deploy(product, "1", "prod", "started", {
      invoke_id: "run-1",
      deployed_by: "bot",
      deploy_url: "https://ci.example.com/a",
      source_system: "gitlab",
    });
    const completed = await deploy(product, "1", "prod", "completed", {
      invoke_id: "run-1",
      deployed_by: "jdoe",
      deployed_by_email: "jdoe@example.com",
      deployed_by_name: "Jane Doe",
      deploy_url: "https://ci.example.com/b",
      source_system: "jenkins",
    });
    expect(completed.body).toMatchObject({
      deployed_by: "jdoe",
      deployed_by_email: "jdoe@example.com",
      deployed_by_name: "Jane Doe",
      deploy_url: "https://ci.example.com/b",
      source_system: "jenkins",
    });
  });

  it("keeps built_by, build_number, build_url, source_system and metadata of a build run", async () => {
    const product = unique("keep-build");
    const started = await build(product, "1", "started", {
      invoke_id: "b-1",
      built_by: "jdoe",
      build_number: "17",
      build_url: "https://ci.example.com/b/17",
      source_system: "github",
      extra_metadata: { runner: "x64" },
    });
    const completed = await build(product, "1", "completed", {
      invoke_id: "b-1",
      extra_metadata: { ok: true },
    });
    expect(completed.body.build_id).toBe(started.body.build_id);
    expect(completed.body).toMatchObject({ build_number: "17", build_url: "https://ci.example.com/b/17" });
    expect(await row("builds", completed.body.build_id)).toMatchObject({
      status: "completed",
      built_by: "jdoe",
      build_number: "17",
      build_url: "https://ci.example.com/b/17",
      source_system: "github",
      extra_metadata: JSON.stringify({ runner: "x64", ok: true }),
    });
  });
});

describe("lifecycle times", () => {
  it("stamps started_at when started and completed_at when completed; deployed_at follows them", async () => {
    const product = unique("times");
    const started = await deploy(product, "1", "prod", "started", { invoke_id: "r" });
    const startedAt = await receivedAt(started.body.event_id);
    expect(started.body.deployed_at).toBe(startedAt);
    expect(started.body.completed_at).toBeNull();
    t.clock.advance(90_000);
    const completed = await deploy(product, "1", "prod", "completed", { invoke_id: "r" });
    const completedAt = await receivedAt(completed.body.event_id);
    expect(completedAt > startedAt).toBe(true);
    expect(completed.body.completed_at).toBe(completedAt);
    expect(completed.body.deployed_at).toBe(completedAt);
    expect(await row("deployments", completed.body.deployment_id)).toMatchObject({
      started_at: startedAt,
      completed_at: completedAt,
    });
    expect((await stateCell(t, product, "prod")).current.deployed_at).toBe(completedAt);
  });

  it("keeps times the CI sent, and the first started_at over a later one", async () => {
    const product = unique("sent-times");
    const started = await deploy(product, "1", "prod", "started", {
      invoke_id: "r",
      started_at: "2026-01-05T10:00:00+01:00",
    });
    expect(started.body.deployed_at).toBe("2026-01-05T09:00:00.000Z");
    const completed = await deploy(product, "1", "prod", "completed", {
      invoke_id: "r",
      started_at: "2026-01-05T09:30:00Z",
      completed_at: "2026-01-05T09:45:00Z",
    });
    expect(completed.body).toMatchObject({
      completed_at: "2026-01-05T09:45:00.000Z",
      deployed_at: "2026-01-05T09:45:00.000Z",
    });
    expect((await row("deployments", completed.body.deployment_id)).started_at).toBe(
      "2026-01-05T09:00:00.000Z",
    );
  });

  it("a deployment that is only reported completed has no started_at; pending has neither time", async () => {
    const product = unique("no-start");
    const pending = await deploy(product, "1", "qa", "pending", { invoke_id: "p" });
    expect(await row("deployments", pending.body.deployment_id)).toMatchObject({
      started_at: null,
      completed_at: null,
    });
    expect(pending.body.deployed_at).toBe(await receivedAt(pending.body.event_id));
    const completed = await deploy(product, "1", "prod", "completed");
    expect(await row("deployments", completed.body.deployment_id)).toMatchObject({
      started_at: null,
      completed_at: await receivedAt(completed.body.event_id),
    });
  });

  it("stamps a failed or aborted end like a completed one", async () => {
    const product = unique("ends");
    await deploy(product, "1", "prod", "started", { invoke_id: "f" });
    const failed = await deploy(product, "1", "prod", "failed", { invoke_id: "f" });
    expect(failed.body.completed_at).toBe(await receivedAt(failed.body.event_id));
    const aborted = await build(product, "1", "aborted", { invoke_id: "a" });
    expect(aborted.body.completed_at).toBe(await receivedAt(aborted.body.event_id));
  });

  it("stamps a build's and its version's times the same way", async () => {
    const product = unique("build-times");
    const started = await build(product, "1", "started", { invoke_id: "b" });
    const startedAt = await receivedAt(started.body.event_id);
    expect(started.body).toMatchObject({ started_at: startedAt, completed_at: null });
    t.clock.advance(30_000);
    const completed = await build(product, "1", "completed", { invoke_id: "b" });
    const completedAt = await receivedAt(completed.body.event_id);
    expect(completed.body).toMatchObject({ started_at: startedAt, completed_at: completedAt });
    expect(await row("versions", completed.body.version_id)).toMatchObject({
      status: "completed",
      started_at: startedAt,
      completed_at: completedAt,
    });
  });
});

describe("out-of-order build events", () => {
  it("a late `started` never moves a completed build run or its version backwards", async () => {
    const product = unique("late-build");
    const completed = await build(product, "1", "completed", { invoke_id: "b", build_number: "5" });
    t.clock.advance(10_000);
    const late = await build(product, "1", "started", { invoke_id: "b", build_number: "6" });
    expect(late.status).toBe(200);
    expect(late.body).toMatchObject({
      build_id: completed.body.build_id,
      status: "completed",
      completed_at: completed.body.completed_at,
      build_number: "5",
    });
    expect(await row("versions", completed.body.version_id)).toMatchObject({
      status: "completed",
      completed_at: completed.body.completed_at,
    });
  });

  it("a failed run after a completed one of the same version moves the version to failed (same rank)", async () => {
    const product = unique("refail");
    await build(product, "1", "completed", { invoke_id: "b1" });
    const failed = await build(product, "1", "failed", { invoke_id: "b2" });
    expect((await row("versions", failed.body.version_id)).status).toBe("failed");
  });
});

describe("one deployment advanced twice in one batch", () => {
  it("started and completed of one run inside one /events/batch make one completed deployment", async () => {
    const product = unique("batch-run");
    const event = { product_name: product, version: "1", environment_name: "prod", invoke_id: "run-1" };
    const res = await t.call("POST", "/events/batch", {
      events: [
        { kind: "deployment", event: { ...event, status: "started", deployed_by: "jdoe" } },
        { kind: "deployment", event: { ...event, status: "completed" } },
      ],
    });
    expect(res.status).toBe(200);
    const [started, completed] = res.body.results;
    expect(res.body).toMatchObject({ accepted: 2, rejected: 0 });
    expect(completed.body.deployment_id).toBe(started.body.deployment_id);
    expect(completed.body).toMatchObject({ status: "completed", deployed_by: "jdoe" });
    const list = await t.call("GET", `/deployments?product=${product}`);
    expect(list.body.items).toHaveLength(1);
    const c = await stateCell(t, product, "prod");
    expect(c.current).toMatchObject({ version: "1", deployed_by: "jdoe" });
    expect(c.in_progress).toBeNull();
    expect(await row("deployments", started.body.deployment_id)).toMatchObject({
      status: "completed",
      started_at: await receivedAt(started.body.event_id),
      completed_at: await receivedAt(completed.body.event_id),
    });
  });

  it("does the same for a run without invoke_id, and for a build", async () => {
    const product = unique("batch-open");
    const event = { product_name: product, version: "1", environment_name: "qa" };
    const res = await t.call("POST", "/events/batch", {
      events: [
        { kind: "build", event: { product_name: product, version: "1", status: "started" } },
        { kind: "build", event: { product_name: product, version: "1", status: "completed" } },
        { kind: "deployment", event: { ...event, status: "started" } },
        { kind: "deployment", event: { ...event, status: "completed" } },
      ],
    });
    const [b1, b2, d1, d2] = res.body.results;
    expect(b2.body.build_id).toBe(b1.body.build_id);
    expect(b2.body.status).toBe("completed");
    expect(d2.body.deployment_id).toBe(d1.body.deployment_id);
    expect((await stateCell(t, product, "qa")).current.version).toBe("1");
  });
});

describe("SHA abbreviations", () => {
  it("accepts an abbreviation (7+ characters) after the full SHA and keeps the full one", async () => {
    const product = unique("full-then-short");
    await build(product, "1", "started", { scm_sha: SHA });
    for (const length of [7, 12, 39]) {
      const res = await deploy(product, "1", `env-${length}`, "completed", { scm_sha: SHA.slice(0, length) });
      expect(res.status).toBe(200);
    }
    const res = await build(product, "1", "completed", { scm_sha: SHA.slice(0, 7).toUpperCase() });
    expect(res.status).toBe(200);
    expect(res.body.scm_sha).toBe(SHA);
    expect((await row("versions", res.body.version_id)).scm_sha).toBe(SHA);
  });

  it.each([1, 2, 3, 4, 5, 6])("refuses a %i-character prefix of the registered SHA", async (length) => {
    const product = unique("tiny-prefix");
    await build(product, "1", "completed", { scm_sha: SHA });
    const res = await build(product, "1", "completed", { scm_sha: SHA.slice(0, length) });
    expect(res.status).toBe(409);
    expect(res.body.code).toBe("VERSION_SHA_CONFLICT");
    expect(res.body.detail).toBe(
      `Version 1 of ${product} already exists with different SHA (registered ${SHA}, received ${SHA.slice(0, length)})`,
    );
  });

  it("refuses a full SHA when a too-short prefix was registered first", async () => {
    const product = unique("tiny-first");
    await build(product, "1", "completed", { scm_sha: SHA.slice(0, 6) });
    const res = await deploy(product, "1", "prod", "completed", { scm_sha: SHA });
    expect(res.status).toBe(409);
  });

  it("completes a registered abbreviation with a longer one but never shortens it", async () => {
    const product = unique("grow");
    await deploy(product, "1", "prod", "completed", { scm_sha: SHA.slice(0, 7) });
    const longer = await build(product, "1", "completed", { scm_sha: SHA.slice(0, 10) });
    expect(longer.body.scm_sha).toBe(SHA.slice(0, 10));
    const shorter = await build(product, "1", "completed", { scm_sha: SHA.slice(0, 8), invoke_id: "x" });
    expect(shorter.body.scm_sha).toBe(SHA.slice(0, 10));
  });

  it("records a SHA on a version first seen without one", async () => {
    const product = unique("late-sha");
    await deploy(product, "1", "prod", "completed");
    const res = await build(product, "1", "completed", { scm_sha: SHA });
    expect(res.body.scm_sha).toBe(SHA);
  });
});
