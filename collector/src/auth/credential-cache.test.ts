import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { createTestApp, type TestApp, unique } from "../testing/test-app.ts";
import { CREDENTIAL_CACHE_TTL_MS } from "./credential-lookups.ts";

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
