import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { createTestApp, type TestApp, unique } from "../testing/test-app.ts";
import { CREDENTIAL_CACHE_TTL_MS, CredentialCache } from "./credential-lookups.ts";

/**
 * What the credential cache saves and what it must not: a bearer credential's lookup runs once
 * while nothing changes, and a change, the clock or an unknown token read it again.
 */
describe("credential cache", () => {
  let t: TestApp;
  let key: string;
  beforeAll(async () => {
    t = await createTestApp({ VERSIONER_LOG_LEVEL: "silent" });
    key = (await t.call("POST", "/api-keys", { name: unique("cached"), scope: "read" })).body.token;
  });
  afterAll(() => t.close());

  const lookups = () => vi.spyOn(t.runtime.credentials.apiKey, "all");
  const get = (token: string) => t.call("GET", "/products", undefined, { token }).then((res) => res.status);

  it("reads an API key once for many requests, together or one after the other", async () => {
    await get(key);
    const spy = lookups();
    const together = await Promise.all(Array.from({ length: 20 }, () => get(key)));
    for (let i = 0; i < 5; i++) expect(await get(key)).toBe(200);
    expect(together.every((status) => status === 200)).toBe(true);
    expect(spy).not.toHaveBeenCalled();
    spy.mockRestore();
  });

  it("reads it again once its entry is older than the TTL", async () => {
    await get(key);
    const spy = lookups();
    t.clock.advance(CREDENTIAL_CACHE_TTL_MS);
    expect(await get(key)).toBe(200);
    expect(await get(key)).toBe(200);
    expect(spy).toHaveBeenCalledTimes(1);
    spy.mockRestore();
  });

  it("reads every key again after any credential changed, and never keeps an unknown token", async () => {
    await get(key);
    const other = (await t.call("POST", "/api-keys", { name: unique("revoked"), scope: "read" })).body;
    expect((await t.call("DELETE", `/api-keys/${other.id}`)).status).toBe(204);
    const spy = lookups();
    expect(await get(key)).toBe(200);
    expect([await get(other.token), await get(other.token), await get("sk_unknown")]).toEqual([
      401, 401, 401,
    ]);
    expect(spy).toHaveBeenCalledTimes(4);
    spy.mockRestore();
  });
});

describe("the credentials generation", () => {
  const turn = () => new Promise<void>((resolve) => setImmediate(resolve));

  // The generation a request is checked against is read after it arrived: one read at a time,
  // started once the one in flight has ended, for every request that arrived meanwhile.
  it("is read once at a time, each read for the requests that arrived before it started", async () => {
    const reads: Array<(generation: string) => void> = [];
    const cache = new CredentialCache(
      undefined as never,
      () => new Promise<string>((resolve) => reads.push(resolve)),
    );
    const seen: Record<string, string> = {};
    const request = (name: string) =>
      cache
        .resolve(name, 0, async () => name)
        .then(() => {
          seen[name] = "answered";
        });
    const first = request("a");
    await turn();
    expect(reads).toHaveLength(1);
    // Two requests in two later turns while the first read is in flight: no second read yet.
    const second = request("b");
    await turn();
    const third = request("c");
    await turn();
    await turn();
    expect(reads).toHaveLength(1);
    expect(seen).toEqual({});
    reads[0]?.("1");
    await first;
    expect(seen).toEqual({ a: "answered" });
    // Then one read for both, which started after they arrived.
    await vi.waitFor(() => expect(reads).toHaveLength(2));
    reads[1]?.("2");
    await Promise.all([second, third]);
    expect(seen).toEqual({ a: "answered", b: "answered", c: "answered" });
    expect(reads).toHaveLength(2);
  });

  it("hands the requests waiting for its next read to a read starting now, and reads after that one ended", async () => {
    const reads: Array<(generation: string) => void> = [];
    const cache = new CredentialCache(
      undefined as never,
      () => new Promise<string>((resolve) => reads.push(resolve)),
    );
    expect(cache.claim()).toBeUndefined();
    const lookups: string[] = [];
    const request = (name: string) =>
      cache.resolve(name, 0, async () => {
        lookups.push(name);
        return name;
      });
    // Both wait for the next read, which has not started: a claimer's read answers them.
    const waiting = [request("a"), request("b")];
    const claimed = cache.claim();
    expect(claimed?.key).toBe("credentials_generation");
    expect(cache.claim()).toBeUndefined();
    // A request after the claim waits for a read of its own, once the claimed one has ended.
    const later = request("c");
    await turn();
    await turn();
    expect(reads).toHaveLength(0);
    claimed?.found("5");
    expect(await Promise.all(waiting)).toEqual(["a", "b"]);
    await vi.waitFor(() => expect(reads).toHaveLength(1));
    reads[0]?.("5");
    expect(await later).toBe("c");
    // "a" was kept at generation 5, the claimed read's: still 5, it is not looked up again.
    const again = cache.resolve("a", 0, async () => "looked up again");
    await vi.waitFor(() => expect(reads).toHaveLength(2));
    reads[1]?.("5");
    expect(await again).toBe("a");
    expect(lookups).toEqual(["a", "b", "c"]);
  });

  it("refuses the requests handed to a read that failed", async () => {
    const cache = new CredentialCache(undefined as never, async () => "1");
    const waiting = cache.resolve("k", 0, async () => "row");
    cache.claim()?.failed(new Error("database unavailable"));
    await expect(waiting).rejects.toThrow("database unavailable");
    expect(await cache.resolve("k", 0, async () => "row")).toBe("row");
  });

  it("is read again after a read failed", async () => {
    let calls = 0;
    const cache = new CredentialCache(undefined as never, async () => {
      calls += 1;
      if (calls === 1) throw new Error("database unavailable");
      return "1";
    });
    await expect(cache.resolve("k", 0, async () => "row")).rejects.toThrow("database unavailable");
    expect(await cache.resolve("k", 0, async () => "row")).toBe("row");
    expect(calls).toBe(2);
  });
});
