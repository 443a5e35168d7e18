import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createLogger } from "../logger.ts";
import { createTestApp, type TestApp, unique } from "../testing/test-app.ts";
import { RateLimiter } from "./rate-limit.ts";

describe("RateLimiter", () => {
  const limits = { perSecond: 2, burst: 3, maxConcurrentLarge: 1, largeRequestBytes: 100 };

  it("spends a burst, then refills at the sustained rate, per key", () => {
    let now = 1_000_000;
    const limiter = new RateLimiter(limits, createLogger("silent"), () => now);
    expect([limiter.take("a"), limiter.take("a"), limiter.take("a")]).toEqual([
      undefined,
      undefined,
      undefined,
    ]);
    expect(limiter.take("a")).toEqual({ reason: "rate", retryAfterSeconds: 1 });
    expect(limiter.take("b")).toBeUndefined();
    now += 500; // one token back at 2 per second
    expect(limiter.take("a")).toBeUndefined();
    expect(limiter.take("a")?.reason).toBe("rate");
    now += 10_000; // never more than the burst
    for (let i = 0; i < 3; i++) expect(limiter.take("a")).toBeUndefined();
    expect(limiter.take("a")?.reason).toBe("rate");
    expect(limiter.refusals).toEqual({ rate: 3, large_requests: 0 });
  });

  it("lets a bounded number of large bodies in at once; small and declared-small ones pass", () => {
    const limiter = new RateLimiter(limits, createLogger("silent"));
    const first = limiter.enterLarge("a", 5_000);
    expect("release" in first).toBe(true);
    expect(limiter.enterLarge("b", undefined)).toEqual({ reason: "large_requests", retryAfterSeconds: 1 });
    expect("release" in limiter.enterLarge("b", 50)).toBe(true);
    if ("release" in first) {
      first.release();
      first.release(); // idempotent
    }
    const again = limiter.enterLarge("b", 5_000);
    expect("release" in again).toBe(true);
    expect(limiter.enterLarge("c", 5_000)).toMatchObject({ reason: "large_requests" });
  });

  it("is off with a rate of 0", () => {
    const limiter = new RateLimiter({ ...limits, perSecond: 0 }, createLogger("silent"));
    for (let i = 0; i < 100; i++) expect(limiter.take("a")).toBeUndefined();
  });
});

describe("rate limiting over HTTP", () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({
      VERSIONER_RATE_LIMIT_PER_SECOND: "0.001",
      VERSIONER_RATE_LIMIT_BURST: "3",
      VERSIONER_MAX_CONCURRENT_LARGE_REQUESTS: "1",
      VERSIONER_LARGE_REQUEST_BYTES: "100",
    });
  });
  afterAll(() => t.close());

  it("answers 429 with Retry-After once a credential's burst is spent, per credential, and logs it", async () => {
    const key = await t.call("POST", "/api-keys", { name: unique("k"), scope: "read" });
    expect(key.status).toBe(201);
    for (let i = 0; i < 2; i++) expect((await t.call("GET", "/state")).status).toBe(200);
    const refused = await t.call("GET", "/state");
    expect(refused.status).toBe(429);
    expect(refused.body.code).toBe("RATE_LIMITED");
    expect(Number(refused.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
    // Another credential has its own bucket; health checks are never limited.
    expect((await t.call("GET", "/state", undefined, { token: key.body.token })).status).toBe(200);
    expect((await t.call("GET", "/health", undefined, { token: null })).status).toBe(200);
    expect(t.logLines.join("\n")).toContain("request refused: rate limit");
  });
});

describe("large bodies over HTTP", () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({
      VERSIONER_MAX_CONCURRENT_LARGE_REQUESTS: "1",
      VERSIONER_LARGE_REQUEST_BYTES: "100",
    });
  });
  afterAll(() => t.close());

  it("refuses a second large body while one is being read", async () => {
    const key = (await t.call("POST", "/api-keys", { name: unique("big"), scope: "ingest" })).body.token;
    const other = (await t.call("POST", "/api-keys", { name: unique("big2"), scope: "ingest" })).body.token;
    let finish: (() => void) | undefined;
    let started = false;
    let reading: () => void = () => {};
    const bodyRead = new Promise<void>((resolve) => {
      reading = resolve;
    });
    const body = JSON.stringify({ events: [] }).padEnd(500, " ");
    // The handler pulls the body only once the middleware has let it in (slot taken): the first
    // pull is the signal that the large request is being read. A high-water mark of 0 keeps the
    // stream from pulling ahead on its own before anyone reads (on a libSQL server the first
    // request's token lookup takes long enough for that early pull to let the second one in first).
    const slow = new ReadableStream<Uint8Array>(
      {
        start(controller) {
          finish = () => {
            controller.enqueue(new TextEncoder().encode(body.slice(10)));
            controller.close();
          };
        },
        pull(controller) {
          if (started) return; // the rest comes with finish()
          started = true;
          controller.enqueue(new TextEncoder().encode(body.slice(0, 10)));
          reading();
        },
      },
      { highWaterMark: 0 },
    );
    const first = t.app.request("/events/batch", {
      method: "POST",
      headers: {
        authorization: `Bearer ${key}`,
        "content-type": "application/json",
        "content-length": "500",
      },
      body: slow,
      duplex: "half",
    } as RequestInit);
    await bodyRead;
    const second = await t.call("POST", "/events/batch", body, { token: other });
    expect(second.status).toBe(429);
    expect(second.body.detail).toContain("large requests");
    finish?.();
    // Let in and read whole: validation answers (an empty batch), not the limiter.
    expect((await first).status).toBe(422);
    expect((await t.call("POST", "/events/batch", body, { token: other })).status).not.toBe(429);
  });
});
