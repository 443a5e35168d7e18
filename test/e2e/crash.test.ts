import { randomUUID } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { VersionerClient } from "@versioner/client";
import { afterAll, describe, expect, it } from "vitest";
import { api, type RunningCollector, startCollector } from "../support/collector.ts";
import { waitFor } from "../support/wait-for.ts";

// Bounded on purpose: a few hundred events, five crashes, a fixed shape. `npm run fuzz`-style long
// runs are a matter of raising these numbers.
const CLIENTS = 20;
const BATCH_SIZE = 10;
const CRASHES = 5;
/** Each client's pause between two events: traffic runs for as long as the crashes go on. */
const PACE_MS = 20;

const dir = mkdtempSync(join(tmpdir(), "versioner-crash-"));
const dbPath = join(dir, "versioner.db");
let collector: RunningCollector | undefined;
afterAll(async () => {
  await collector?.stop();
  rmSync(dir, { recursive: true, force: true });
});

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Sends a batch until the collector acknowledges it, each event with its own key, as a CI step would. */
async function sendBatch(url: string, token: string, events: unknown[]): Promise<boolean> {
  for (let attempt = 0; attempt < 200; attempt++) {
    const res = await fetch(`${url}/events/batch`, {
      method: "POST",
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
      body: JSON.stringify({ events }),
    }).catch(() => undefined);
    if (res?.ok) return true;
    await pause(100);
  }
  return false;
}

describe("crashes under concurrent retrying clients", () => {
  it("loses no acknowledged event, records none twice, and keeps batches whole across 5 SIGKILLs", async () => {
    collector = await startCollector({ dbPath });
    const { url, token } = collector;
    const port = Number(new URL(url).port);
    const acknowledged: Array<{ product: string; version: string }> = [];
    let running = true;
    let kills = 0;
    let retries = 0;

    const clients = Array.from({ length: CLIENTS }, async (_, c) => {
      const client = new VersionerClient({
        apiUrl: url,
        apiKey: token,
        maxAttempts: 200,
        maxTotalMs: 120_000,
        retryBaseMs: 50,
        maxRetryDelayMs: 500,
        timeoutMs: 10_000,
        onRetry: () => {
          retries++;
        },
      });
      for (let i = 0; running; i++) {
        const event = {
          product_name: `crash-${c}`,
          version: `1.0.${i}`,
          environment_name: ["dev", "staging", "production"][i % 3] ?? "dev",
          status: "success",
        };
        await client.trackDeployment(event);
        acknowledged.push({ product: event.product_name, version: event.version });
        await pause(PACE_MS);
      }
    });
    const batchIds: string[] = [];
    const batches = (async () => {
      const results: boolean[] = [];
      while (running) {
        const id = randomUUID().slice(0, 8);
        batchIds.push(id);
        const events = Array.from({ length: BATCH_SIZE }, (_, j) => ({
          kind: "deployment",
          idempotency_key: `batch-${id}-${j}`,
          event: {
            product_name: `batch-${id}-${j}`,
            version: "1.0.0",
            environment_name: "qa",
            status: "success",
          },
        }));
        results.push(await sendBatch(url, token, events));
        await pause(PACE_MS * 5);
      }
      return results;
    })();

    // Each crash lands on live traffic: kill once clients have had events acknowledged since the
    // last (re)start, and let them be acknowledged again after the last one.
    const trafficSince = (count: number) =>
      waitFor("events acknowledged since the restart", () => acknowledged.length >= count + CLIENTS, 60_000);
    for (let k = 0; k < CRASHES; k++) {
      await trafficSince(acknowledged.length);
      await collector?.kill();
      kills++;
      collector = await startCollector({ dbPath, port, token });
    }
    await trafficSince(acknowledged.length);
    running = false;
    await Promise.all(clients);
    const batchAcks = await batches;

    // The crashes hit traffic in flight: clients had to retry through them.
    expect(kills).toBe(CRASHES);
    expect(retries).toBeGreaterThan(0);
    expect(acknowledged.length).toBeGreaterThan(CLIENTS);
    const live = collector as RunningCollector;
    for (let c = 0; c < CLIENTS; c++) {
      const page = await api(live, "GET", `/deployments?product=crash-${c}&limit=500`);
      expect(page.status).toBe(200);
      const versions = (page.body.items as Array<{ version: string }>).map((d) => d.version).sort();
      const expected = acknowledged
        .filter((a) => a.product === `crash-${c}`)
        .map((a) => a.version)
        .sort();
      // Every acknowledged deployment is there, exactly once.
      expect(versions, `crash-${c}`).toEqual(expected);
    }
    expect(batchAcks.every(Boolean)).toBe(true);
    for (const id of batchIds) {
      const present = await Promise.all(
        Array.from({ length: BATCH_SIZE }, async (_, j) => {
          const page = await api(live, "GET", `/deployments?product=batch-${id}-${j}`);
          return page.status === 200 ? (page.body.items as unknown[]).length : 0;
        }),
      );
      // All or nothing, and acknowledged batches are all there, once.
      expect(present, `batch ${id}`).toEqual(Array(BATCH_SIZE).fill(1));
    }
    const integrity = await api(live, "GET", "/health");
    expect(integrity.status).toBe(200);
    console.log(
      `crash suite: ${acknowledged.length} events and ${batchIds.length} batches of ${BATCH_SIZE} acknowledged through ${kills} SIGKILLs (${retries} client retries); 0 lost, 0 recorded twice`,
    );
  }, 240_000);
});
