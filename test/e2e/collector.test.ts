import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { request } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { api, type RunningCollector, SERVER_ENTRY, startCollector } from "../support/collector.ts";

describe("collector process over HTTP", () => {
  let collector: RunningCollector;
  beforeAll(async () => {
    collector = await startCollector({ token: "t0k3n" });
  });
  afterAll(async () => {
    await collector.stop();
  });

  it("records a build then a deployment of a product nobody created, and /state shows it", async () => {
    const build = await api(collector, "POST", "/build-events/", {
      product_name: "checkout",
      version: "1.4.0",
      status: "completed",
      scm_sha: "9f2c4e1a7b3d5f60718293a4b5c6d7e8f9a0b1c2",
    });
    expect(build.status).toBe(200);
    const deployment = await api(collector, "POST", "/deployment-events/", {
      product_name: "checkout",
      version: "1.4.0",
      environment_name: "production",
      status: "Success",
      deployed_by: "ana",
    });
    expect(deployment.status).toBe(200);
    expect(deployment.body.status).toBe("completed");
    const state = await api(collector, "GET", "/state");
    const row = state.body.products.find((p: { name: string }) => p.name === "checkout");
    expect(row.cells[0]).toMatchObject({
      environment_name: "production",
      current: { version: "1.4.0", deployed_by: "ana" },
    });
  });

  it("answers the contract's error cases", async () => {
    const conflict = await api(collector, "POST", "/build-events", {
      product_name: "checkout",
      version: "1.4.0",
      status: "completed",
      scm_sha: "0000000000000000000000000000000000000000",
    });
    expect(conflict.status).toBe(409);
    expect(conflict.body.code).toBe("VERSION_SHA_CONFLICT");

    const event = {
      product_name: "checkout",
      version: "1.5.0",
      environment_name: "staging",
      status: "completed",
    };
    const key = { "Idempotency-Key": "e2e-retry-1" };
    const first = await api(collector, "POST", "/deployment-events", event, key);
    const second = await api(collector, "POST", "/deployment-events", event, key);
    expect(second.body).toEqual(first.body);
    const list = await api(collector, "GET", "/deployments?product=checkout&environment=staging");
    expect(list.body.items).toHaveLength(1);

    const bogus = await api(collector, "POST", "/deployment-events", { ...event, status: "bogus" });
    expect(bogus.status).toBe(422);
    expect(bogus.body.detail[0].loc).toEqual(["body", "status"]);

    const anonymous = await fetch(`${collector.url}/state`);
    expect(anonymous.status).toBe(401);

    const ingestKey = await api(collector, "POST", "/api-keys", { name: "ci", scope: "ingest" });
    const forbidden = await api({ url: collector.url, token: ingestKey.body.token }, "POST", "/products", {
      name: "x",
    });
    expect(forbidden.status).toBe(403);
  });

  it("serves the OpenAPI document and the docs page without a token", async () => {
    expect((await fetch(`${collector.url}/openapi.json`)).status).toBe(200);
    expect(await (await fetch(`${collector.url}/docs`)).text()).toContain("swagger");
  });
});

describe("collector lifecycle", () => {
  // Collectors started on a given dbPath leave its folder alone: these tests remove their own.
  const dirs: string[] = [];
  afterAll(() => {
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });
  function tempDbPath(prefix: string): string {
    const dir = mkdtempSync(join(tmpdir(), prefix));
    dirs.push(dir);
    return join(dir, "versioner.db");
  }

  it("finishes in-flight requests on SIGTERM, exits 0, and keeps every acknowledged event across a restart", async () => {
    const dbPath = tempDbPath("versioner-lifecycle-");
    // Shutdown waits up to VERSIONER_SHUTDOWN_TIMEOUT_MS for in-flight requests; 1000 events through
    // a libSQL server on a loaded 2-core machine took longer than the 10 s default (docs/testing.md).
    const first = await startCollector({ dbPath, env: { VERSIONER_SHUTDOWN_TIMEOUT_MS: "120000" } });
    const events = Array.from({ length: 1000 }, (_, i) => ({
      kind: "deployment",
      event: {
        product_name: `svc-${i % 20}`,
        version: `1.0.${i}`,
        environment_name: "prod",
        status: "completed",
      },
    }));
    // SIGTERM once the whole request has been handed to the connection: a request already sent
    // counts as in flight, and shutdown must finish it rather than drop it.
    const response = await new Promise<{ status: number; body: any }>((resolve, reject) => {
      const req = request(
        `${first.url}/events/batch`,
        {
          method: "POST",
          headers: { authorization: `Bearer ${first.token}`, "content-type": "application/json" },
        },
        (res) => {
          let text = "";
          res.on("data", (chunk) => {
            text += chunk;
          });
          res.on("end", () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) }));
        },
      );
      req.on("error", reject);
      req.on("finish", () => first.process.kill("SIGTERM"));
      req.end(JSON.stringify({ events }));
    });
    expect(response.status).toBe(200);
    expect(response.body.accepted).toBe(1000);
    expect(await first.stop()).toBe(0);

    const second = await startCollector({ dbPath });
    const page = await api(second, "GET", "/deployments?limit=500&product=svc-3");
    expect(page.body.items).toHaveLength(50);
    const state = await api(second, "GET", "/state");
    expect(state.body.products).toHaveLength(20);
    await second.stop();
  });

  it("prints a generated admin token once on first start and never again", async () => {
    const dbPath = tempDbPath("versioner-bootstrap-");
    const first = await startCollector({ dbPath, env: { VERSIONER_BOOTSTRAP_TOKEN: "" } });
    const token = first.output().match(/pat_[0-9a-f]{48}/)?.[0];
    expect(token).toBeTruthy();
    expect((await api({ url: first.url, token: token ?? "" }, "GET", "/state")).status).toBe(200);
    await first.stop();
    const second = await startCollector({ dbPath, env: { VERSIONER_BOOTSTRAP_TOKEN: "" } });
    expect(second.output()).not.toMatch(/pat_/);
    expect((await api({ url: second.url, token: token ?? "" }, "GET", "/state")).status).toBe(200);
    await second.stop();
  });

  it("refuses to start on bad configuration, listing every problem", async () => {
    const child = spawn(process.execPath, [SERVER_ENTRY], {
      env: { PATH: process.env.PATH ?? "", PORT: "not-a-port", VERSIONER_LOG_LEVEL: "chatty" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stderr = "";
    child.stderr.on("data", (chunk) => {
      stderr += chunk;
    });
    const code = await new Promise((resolve) => child.on("exit", resolve));
    expect(code).toBe(2);
    expect(stderr).toContain("PORT");
    expect(stderr).toContain("VERSIONER_LOG_LEVEL");
  });
});
