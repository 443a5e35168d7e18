import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { integrations } from "../db/schema/index.ts";
import { signGithub, signVercel, vercelDelivery } from "../testing/integration-fixtures.ts";
import { signInAs } from "../testing/sessions.ts";
import { createTestApp, type TestApp, unique } from "../testing/test-app.ts";
import { MAX_KEPT_DELIVERIES } from "./integrations-service.ts";

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp({ VERSIONER_PUBLIC_URL: "https://versioner.example.com" });
});
afterAll(() => t.close());

describe("/integrations", () => {
  it("creates an integration whose generated secret is shown once and sealed at rest", async () => {
    const name = unique("vercel");
    const created = await t.call("POST", "/integrations", { name, kind: "vercel" });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    expect(created.body.secret).toMatch(/^vsec_[\w-]{43}$/);
    expect(created.body.webhook_path).toMatch(/^\/integrations\/vercel\/[\w-]{24}$/);
    expect(created.body.webhook_url).toBe(`https://versioner.example.com${created.body.webhook_path}`);
    expect(created.body.mapping).toEqual({ products: {}, environments: {} });

    const listed = await t.call("GET", "/integrations");
    const item = listed.body.items.find((i: { name: string }) => i.name === name);
    expect(item).toBeDefined();
    expect(JSON.stringify(listed.body)).not.toContain(created.body.secret);
    expect(JSON.stringify((await t.call("GET", `/integrations/${item.id}`)).body)).not.toContain(
      created.body.secret,
    );
    const [row] = await t.database.db.select().from(integrations).where(eq(integrations.id, item.id));
    expect(row?.secret).toMatch(/^enc:v1:/);
    expect(row?.secret).not.toContain(created.body.secret);
    const audit = await t.call("GET", `/audit-log?target_type=integration`);
    expect(JSON.stringify(audit.body)).not.toContain(created.body.secret);
  });

  it("takes a secret the platform generated, which is then not echoed", async () => {
    const created = await t.call("POST", "/integrations", {
      name: unique("vercel"),
      kind: "vercel",
      secret: "vercel-generated-secret-123",
    });
    expect(created.status).toBe(201);
    const signed = signVercel(vercelDelivery({ project: unique("web") }), "vercel-generated-secret-123");
    const res = await t.app.request(created.body.webhook_path, { method: "POST", ...signed });
    expect(res.status).toBe(200);
  });

  it("updates the mapping and secret, rotates the secret, and refuses what does not fit", async () => {
    const created = await t.call("POST", "/integrations", { name: unique("gh"), kind: "github" });
    const id = created.body.id;
    const updated = await t.call("PATCH", `/integrations/${id}`, {
      mapping: { products: { "acme/api": "api" }, version_from: "ref" },
      enabled: false,
    });
    expect(updated.status, JSON.stringify(updated.body)).toBe(200);
    expect(updated.body).toMatchObject({
      enabled: false,
      mapping: { products: { "acme/api": "api" }, environments: {}, version_from: "ref" },
    });
    expect(updated.body.secret).toBeUndefined();

    const badSource = await t.call("PATCH", `/integrations/${id}`, {
      mapping: { version_from: "image_tag" },
    });
    expect(badSource.status).toBe(422);
    expect(badSource.body.detail[0].loc).toEqual(["body", "mapping", "version_from"]);
    const badKind = await t.call("PATCH", `/integrations/${id}`, { kind: "vercel" });
    expect(badKind.status).toBe(422);
    const shortSecret = await t.call("PATCH", `/integrations/${id}`, { secret: "short" });
    expect(shortSecret.status).toBe(422);
    const taken = await t.call("POST", "/integrations", { name: created.body.name, kind: "argocd" });
    expect(taken.status).toBe(409);

    const rotated = await t.call("POST", `/integrations/${id}/rotate-secret`);
    expect(rotated.status).toBe(200);
    expect(rotated.body.secret).not.toBe(created.body.secret);
    await t.call("PATCH", `/integrations/${id}`, { enabled: true });
    const body = { zen: "Design for failure.", hook_id: 2 };
    const old = await t.app.request("/integrations/github", {
      method: "POST",
      ...signGithub("ping", body, created.body.secret),
    });
    expect(old.status).toBe(401);
    const fresh = await t.app.request("/integrations/github", {
      method: "POST",
      ...signGithub("ping", body, rotated.body.secret),
    });
    expect(fresh.status).toBe(202);

    expect((await t.call("DELETE", `/integrations/${id}`)).status).toBe(204);
    expect((await t.call("GET", `/integrations/${id}`)).status).toBe(404);
    expect((await t.call("GET", `/integrations/${id}/deliveries`)).status).toBe(404);
  });

  it(`keeps the last ${MAX_KEPT_DELIVERIES} deliveries of an integration, newest first`, async () => {
    const created = await t.call("POST", "/integrations", { name: unique("vercel"), kind: "vercel" });
    const project = unique("web");
    for (let i = 0; i < MAX_KEPT_DELIVERIES + 5; i++) {
      const signed = signVercel(
        vercelDelivery({ project, type: "project.created", id: `wh_${i}` }),
        created.body.secret,
      );
      expect((await t.app.request(created.body.webhook_path, { method: "POST", ...signed })).status).toBe(
        202,
      );
    }
    const res = await t.call(
      "GET",
      `/integrations/${created.body.id}/deliveries?limit=${MAX_KEPT_DELIVERIES}`,
    );
    expect(res.body.items).toHaveLength(MAX_KEPT_DELIVERIES);
    expect(res.body.items[0]).toMatchObject({
      delivery_id: `wh_${MAX_KEPT_DELIVERIES + 4}`,
      outcome: "ignored",
    });
    expect(res.body.items.at(-1).delivery_id).toBe("wh_5");
  });

  it("needs integrations.manage: an sre may manage integrations, a developer may not", async () => {
    for (const [role, status] of [
      ["sre", 201],
      ["developer", 403],
    ] as const) {
      const { cookie, csrf } = await signInAs(t, role);
      const res = await t.app.request("/integrations", {
        method: "POST",
        headers: { cookie, "x-csrf-token": csrf, "content-type": "application/json" },
        body: JSON.stringify({ name: unique("by-role"), kind: "argocd" }),
      });
      expect(res.status, role).toBe(status);
    }
  });
});
