import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { postDeployment } from "../testing/ingest-fixtures.ts";
import { createTestApp, type TestApp, unique } from "../testing/test-app.ts";

// The version row, column by column: what a build sets, what a deployment may only fill in, and
// that an event bringing nothing new leaves the row (and its updated_at) alone.

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(() => t.close());

const build = (product: string, version: string, status: string, extra: object = {}) =>
  t.call("POST", "/build-events", { product_name: product, version, status, ...extra });

const deploy = (product: string, version: string, status: string, extra: object = {}) =>
  postDeployment(t, product, version, "prod", status, extra);

async function versionRow(versionId: string) {
  const result = await t.database.client.execute({
    sql: "SELECT * FROM versions WHERE id = ?",
    args: [versionId],
  });
  const row = result.rows[0] as unknown as Record<string, unknown>;
  return { ...row, extra_metadata: JSON.parse(String(row.extra_metadata)) };
}

async function receivedAt(eventId: string): Promise<string> {
  const result = await t.database.client.execute({
    sql: "SELECT received_at FROM events WHERE id = ?",
    args: [eventId],
  });
  return String(result.rows[0]?.received_at);
}

const SHA = "0123456789abcdef0123456789abcdef01234567";
const full = {
  scm_sha: SHA,
  scm_repository: "acme/api",
  scm_branch: "main",
  scm_committed_at: "2026-02-27T09:00:00Z",
  build_number: "41",
  build_url: "https://ci.example.com/41",
  source_system: "jenkins",
  invoke_id: "run-41",
  built_by: "jdoe",
  built_by_email: "jdoe@example.com",
  built_by_name: "Jane Doe",
  extra_metadata: { image: "api:1" },
};

describe("a version first seen in a build", () => {
  it("takes every field of the build", async () => {
    const res = await build(unique("vb"), "1", "completed", {
      ...full,
      started_at: "2026-02-28T10:00:00Z",
      completed_at: "2026-02-28T10:05:00Z",
    });
    const now = await receivedAt(res.body.event_id);
    expect(await versionRow(res.body.version_id)).toMatchObject({
      ...full,
      scm_committed_at: "2026-02-27T09:00:00.000Z",
      status: "completed",
      started_at: "2026-02-28T10:00:00.000Z",
      completed_at: "2026-02-28T10:05:00.000Z",
      created_at: now,
      updated_at: now,
    });
  });
});

describe("a version first seen in a deployment", () => {
  it("takes the commit and CI fields but no build status, run, builder, times or metadata", async () => {
    const { built_by, built_by_email, built_by_name, ...deploymentFields } = full;
    const res = await deploy(unique("vd"), "1", "completed", {
      ...deploymentFields,
      started_at: "2026-02-28T10:00:00Z",
    });
    expect(res.status).toBe(200);
    const now = await receivedAt(res.body.event_id);
    expect(await versionRow(res.body.version_id)).toMatchObject({
      scm_sha: SHA,
      scm_repository: "acme/api",
      scm_branch: "main",
      scm_committed_at: "2026-02-27T09:00:00.000Z",
      build_number: "41",
      build_url: "https://ci.example.com/41",
      source_system: "jenkins",
      invoke_id: null,
      built_by: null,
      built_by_email: null,
      built_by_name: null,
      status: null,
      started_at: null,
      completed_at: null,
      extra_metadata: {},
      created_at: now,
      updated_at: now,
    });
  });

  it("gets its build status and times from the first build, whatever its rank", async () => {
    const product = unique("vd-build");
    const deployed = await deploy(product, "1", "completed");
    const started = await build(product, "1", "started");
    expect(await versionRow(deployed.body.version_id)).toMatchObject({
      status: "started",
      started_at: await receivedAt(started.body.event_id),
      completed_at: null,
    });
  });
});

describe("a deployment of a known version", () => {
  it("fills in commit fields the version lacks and never replaces one it has", async () => {
    const product = unique("fill");
    const first = await build(product, "1", "completed", { scm_repository: "acme/api" });
    await deploy(product, "1", "completed", {
      scm_repository: "other/repo",
      scm_branch: "main",
      scm_committed_at: "2026-02-27T09:00:00Z",
      build_number: "99",
      source_system: "argo",
    });
    expect(await versionRow(first.body.version_id)).toMatchObject({
      scm_repository: "acme/api",
      scm_branch: "main",
      scm_committed_at: "2026-02-27T09:00:00.000Z",
      build_number: null,
      source_system: null,
    });
    await deploy(product, "1", "completed", {
      scm_branch: "release",
      scm_committed_at: "2026-02-26T09:00:00Z",
      invoke_id: "x",
    });
    expect(await versionRow(first.body.version_id)).toMatchObject({
      scm_branch: "main",
      scm_committed_at: "2026-02-27T09:00:00.000Z",
    });
  });

  it("leaves the version row untouched when it brings nothing new", async () => {
    const product = unique("untouched");
    const first = await build(product, "1", "completed", { ...full, invoke_id: undefined });
    const before = await versionRow(first.body.version_id);
    t.clock.advance(60_000);
    await deploy(product, "1", "completed", { scm_sha: SHA.slice(0, 10), scm_repository: "acme/api" });
    expect(await versionRow(first.body.version_id)).toEqual(before);
  });

  it("records the commit time a build never sent, with a new updated_at", async () => {
    const product = unique("commit-time");
    const first = await build(product, "1", "completed");
    t.clock.advance(60_000);
    const deployed = await deploy(product, "1", "completed", { scm_committed_at: "2026-02-27T09:00:00Z" });
    expect(await versionRow(first.body.version_id)).toMatchObject({
      scm_committed_at: "2026-02-27T09:00:00.000Z",
      updated_at: await receivedAt(deployed.body.event_id),
    });
  });
});

describe("a later build of a known version", () => {
  it("replaces what it sends, keeps what it omits and merges metadata", async () => {
    const product = unique("rebuild");
    const first = await build(product, "1", "completed", full);
    const second = await build(product, "1", "completed", {
      scm_repository: "acme/api-v2",
      scm_branch: "hotfix",
      scm_committed_at: "2026-02-28T09:00:00Z",
      build_number: "42",
      invoke_id: "run-42",
      extra_metadata: { signed: true },
    });
    expect(await versionRow(first.body.version_id)).toMatchObject({
      scm_repository: "acme/api-v2",
      scm_branch: "hotfix",
      scm_committed_at: "2026-02-28T09:00:00.000Z",
      build_number: "42",
      build_url: "https://ci.example.com/41",
      source_system: "jenkins",
      invoke_id: "run-42",
      built_by: "jdoe",
      built_by_email: "jdoe@example.com",
      built_by_name: "Jane Doe",
      extra_metadata: { image: "api:1", signed: true },
      updated_at: await receivedAt(second.body.event_id),
    });
    await build(product, "1", "completed", {
      build_url: "https://ci.example.com/43",
      source_system: "gitlab",
      built_by: "bot",
      built_by_email: "bot@example.com",
      built_by_name: "Bot",
      invoke_id: "run-43",
    });
    expect(await versionRow(first.body.version_id)).toMatchObject({
      scm_repository: "acme/api-v2",
      scm_branch: "hotfix",
      scm_committed_at: "2026-02-28T09:00:00.000Z",
      build_url: "https://ci.example.com/43",
      source_system: "gitlab",
      built_by: "bot",
      built_by_email: "bot@example.com",
      built_by_name: "Bot",
    });
  });
});
