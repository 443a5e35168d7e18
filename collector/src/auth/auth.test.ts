import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ADMIN_TOKEN, createTestApp, type TestApp, unique } from "../testing/test-app.ts";
import { storedText } from "../testing/test-database.ts";
import { bootstrapAdmin } from "./bootstrap.ts";

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(() => t.close());

async function key(scope: "ingest" | "read" | "admin") {
  const res = await t.call("POST", "/api-keys", { name: unique(scope), scope });
  expect(res.status).toBe(201);
  return res.body as { id: string; token: string; key_id: string };
}

const event = () => ({
  product_name: unique("auth"),
  version: "1",
  environment_name: "dev",
  status: "completed",
});

describe("authentication", () => {
  it("answers 401 without a token, with an unknown one and with a malformed header", async () => {
    for (const token of [null, "nope"]) {
      const res = await t.call("GET", "/state", undefined, { token });
      expect(res.status).toBe(401);
      expect(res.body.code).toBe("UNAUTHORIZED");
    }
    const basic = await t.app.request("/state", { headers: { authorization: "Basic abc" } });
    expect(basic.status).toBe(401);
  });

  it("serves /health, /openapi.json and /docs without a token", async () => {
    expect((await t.call("GET", "/health", undefined, { token: null })).status).toBe(200);
    expect((await t.call("GET", "/openapi.json/", undefined, { token: null })).status).toBe(200);
    const docs = await t.app.request("/docs");
    expect(docs.status).toBe(200);
    expect(await docs.text()).toContain("swagger");
  });

  it("creates keys in the sk_<org>_<keyid>_<secret> form, shown once and listed without secrets", async () => {
    const created = await key("ingest");
    expect(created.token).toMatch(new RegExp(`^sk_default_${created.key_id}_[0-9a-f]{48}$`));
    const list = await t.call("GET", "/api-keys");
    const listed = list.body.items.find((k: { id: string }) => k.id === created.id);
    expect(listed).toMatchObject({ scope: "ingest", revoked_at: null });
    expect(JSON.stringify(list.body)).not.toContain(created.token.slice(-20));
  });

  it("limits an ingest key to sending events and a read key to reading", async () => {
    const ingest = await key("ingest");
    expect((await t.call("POST", "/deployment-events", event(), { token: ingest.token })).status).toBe(200);
    expect(
      (
        await t.call(
          "POST",
          "/build-events",
          { ...event(), environment_name: undefined },
          { token: ingest.token },
        )
      ).status,
    ).toBe(200);
    const forbidden = await t.call("POST", "/products", { name: unique("p") }, { token: ingest.token });
    expect(forbidden.status).toBe(403);
    expect(forbidden.body.code).toBe("FORBIDDEN");
    expect(forbidden.body.detail).toContain("products.write");
    expect((await t.call("GET", "/state", undefined, { token: ingest.token })).status).toBe(403);

    const read = await key("read");
    expect((await t.call("GET", "/state", undefined, { token: read.token })).status).toBe(200);
    expect((await t.call("POST", "/deployment-events", event(), { token: read.token })).status).toBe(403);
    expect((await t.call("GET", "/api-keys", undefined, { token: read.token })).status).toBe(403);
  });

  it("stops accepting a revoked key on the next request", async () => {
    const k = await key("read");
    expect((await t.call("GET", "/state", undefined, { token: k.token })).status).toBe(200);
    expect((await t.call("DELETE", `/api-keys/${k.id}`)).status).toBe(204);
    expect((await t.call("GET", "/state", undefined, { token: k.token })).status).toBe(401);
    expect((await t.call("DELETE", `/api-keys/${k.id}`)).status).toBe(404);
  });

  it("records last_used_at", async () => {
    const k = await key("read");
    await t.call("GET", "/state", undefined, { token: k.token });
    await expect
      .poll(
        async () =>
          (await t.call("GET", "/api-keys?limit=500")).body.items.find((x: { id: string }) => x.id === k.id)
            .last_used_at,
      )
      .not.toBeNull();
  });

  it("stores tokens only as hashes and never logs them", async () => {
    const k = await key("admin");
    await t.call("GET", "/state", undefined, { token: k.token });
    await t.call("GET", "/state", undefined, { token: "wrong-token-value" });
    const file = await storedText(t.database, t.path);
    expect(file).not.toContain(k.token);
    expect(file).not.toContain(ADMIN_TOKEN);
    const logs = t.logLines.join("");
    expect(logs).toContain("request");
    for (const secret of [k.token, ADMIN_TOKEN, "wrong-token-value"]) expect(logs).not.toContain(secret);
  });

  it("bootstraps an admin only on an empty database, idempotently", async () => {
    const again = await bootstrapAdmin(
      { database: t.database, clock: t.clock },
      { token: "another-token", email: "x@y.z" },
    );
    expect(again.created).toBe(false);
    expect((await t.call("GET", "/state", undefined, { token: "another-token" })).status).toBe(401);
  });
});
