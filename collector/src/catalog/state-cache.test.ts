import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openDatabase } from "../db/client.ts";
import { createApp } from "../http/app.ts";
import { createLogger } from "../logger.ts";
import { ADMIN_TOKEN, createTestApp, type TestApp, unique } from "../testing/test-app.ts";
import { readStateGeneration } from "./state-service.ts";

let t: TestApp;
let other: ReturnType<typeof createApp>;
let closeOther: () => void;

beforeAll(async () => {
  t = await createTestApp();
  // A second collector on the same database: its own cache, the same data.
  const database = await openDatabase({ url: t.database.url, secretKey: t.config.secretKey });
  closeOther = () => database.close();
  other = createApp({
    database,
    config: t.config,
    clock: t.clock,
    logger: createLogger("silent"),
  });
});
afterAll(() => {
  closeOther();
  t.close();
});

async function stateVia(app: ReturnType<typeof createApp>, etag?: string) {
  const res = await app.request("/state", {
    headers: { authorization: `Bearer ${ADMIN_TOKEN}`, ...(etag ? { "if-none-match": etag } : {}) },
  });
  const text = await res.text();
  return {
    status: res.status,
    etag: res.headers.get("etag") ?? "",
    body: text ? JSON.parse(text) : undefined,
  };
}

function cell(state: any, product: string, environment: string) {
  return state.products
    .find((p: { name: string }) => p.name === product)
    ?.cells.find((c: { environment_name: string }) => c.environment_name === environment);
}

describe("GET /state cache", () => {
  it("answers 304 to its own ETag until the matrix changes", async () => {
    const first = await stateVia(t.app);
    expect(first.etag).toMatch(/^"state-\d+"$/);
    expect((await stateVia(t.app, first.etag)).status).toBe(304);
    await t.call("POST", "/deployment-events", {
      product_name: unique("etag"),
      version: "1",
      environment_name: "dev",
      status: "completed",
    });
    const after = await stateVia(t.app, first.etag);
    expect(after.status).toBe(200);
    expect(after.etag).not.toBe(first.etag);
  });

  it("follows every change the matrix shows, made through this collector or another one", async () => {
    const product = unique("cached");
    const env = unique("env");
    await t.call("POST", "/deployment-events", {
      product_name: product,
      version: "1",
      environment_name: env,
      status: "completed",
    });
    await t.call("POST", "/variables", { key: "cache_via", value: "first" });
    // Warm both caches.
    expect(cell((await stateVia(t.app)).body, product, env).current.version).toBe("1");
    expect(cell((await stateVia(other)).body, product, env).current.version).toBe("1");

    const changes: Array<[string, () => Promise<unknown>, (state: any) => void]> = [
      [
        "a deployment",
        () =>
          t.call("POST", "/deployment-events", {
            product_name: product,
            version: "2",
            environment_name: env,
            status: "completed",
          }),
        (s) => expect(cell(s, product, env).current.version).toBe("2"),
      ],
      [
        "a product rename",
        () => t.call("PATCH", `/products/${product}`, { name: `${product}-renamed` }),
        (s) => expect(cell(s, `${product}-renamed`, env)).toBeDefined(),
      ],
      [
        "an environment rename",
        () => t.call("PATCH", `/environments/${env}`, { name: `${env}-renamed` }),
        (s) => expect(cell(s, `${product}-renamed`, `${env}-renamed`)).toBeDefined(),
      ],
      [
        "a new button",
        () =>
          t.call("POST", "/deployment-buttons", {
            product_name: `${product}-renamed`,
            name: "Promote",
            url_template: "https://ci.example/deploy?v={vi_version}&to={vi_environment_name}&via={cache_via}",
          }),
        (s) =>
          expect(cell(s, `${product}-renamed`, `${env}-renamed`).buttons?.[0]?.url).toContain("via=first"),
      ],
      [
        "a variable change",
        () => t.call("PATCH", "/variables/cache_via", { value: "second" }),
        (s) =>
          expect(cell(s, `${product}-renamed`, `${env}-renamed`).buttons?.[0]?.url).toContain("via=second"),
      ],
    ];
    for (const [what, change, check] of changes) {
      const before = (await stateVia(other)).etag;
      const res = (await change()) as { status: number };
      expect(res.status, what).toBeLessThan(300);
      check((await stateVia(t.app)).body);
      const seenByOther = await stateVia(other, before);
      expect(seenByOther.status, `${what} seen by the other collector`).toBe(200);
      check(seenByOther.body);
    }
  });

  it("moves once per ingest transaction, however many versions and cells it writes", async () => {
    const product = unique("generation");
    const deploy = (version: string, environment: string) => ({
      kind: "deployment",
      event: { product_name: product, version, environment_name: environment, status: "completed" },
    });
    await t.call("POST", "/events/batch", { events: [deploy("0", "dev"), deploy("0", "qa")] });
    const before = Number(await readStateGeneration(t.database));
    const events = Array.from({ length: 20 }, (_, i) => deploy(`1.${i}`, i % 2 === 0 ? "dev" : "qa"));
    const res = await t.call("POST", "/events/batch", { events });
    expect(res.body.accepted).toBe(20);
    // 20 versions and 20 cell upserts: one bump, not one per row.
    expect(Number(await readStateGeneration(t.database))).toBe(before + 1);
    // A build that changes a stored version moves it once; sent again, it changes nothing.
    const build = { product_name: product, version: "1.0", status: "completed", build_number: "7" };
    expect((await t.call("POST", "/build-events/", build)).status).toBe(200);
    expect(Number(await readStateGeneration(t.database))).toBe(before + 2);
    expect((await t.call("POST", "/build-events/", build)).status).toBe(200);
    expect(Number(await readStateGeneration(t.database))).toBe(before + 2);
  });
});
