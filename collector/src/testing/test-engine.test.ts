import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestApp, type TestApp } from "./test-app.ts";
import { TEST_ENGINE } from "./test-engine.ts";

// `npm test` runs this suite once per engine: a run meant for the libSQL server that quietly fell
// back to a local file would pass everything and prove nothing, so the selection itself is tested.
describe(`the test engine (${TEST_ENGINE})`, () => {
  let a: TestApp;
  let b: TestApp;
  beforeAll(async () => {
    [a, b] = await Promise.all([createTestApp(), createTestApp()]);
  });
  afterAll(() => {
    a.close();
    b.close();
  });

  it("is the one VERSIONER_TEST_ENGINE names", () => {
    expect(TEST_ENGINE).toBe(process.env.VERSIONER_TEST_ENGINE || "file");
  });

  it("gives each test app a database on that engine", async () => {
    if (TEST_ENGINE === "sqld") {
      expect(a.database.url).toMatch(/^http:\/\/versioner-test-[\w-]+\.localhost:\d+$/);
      expect(a.path).toBeUndefined();
      expect(a.database.client.protocol).toBe("http");
    } else {
      expect(a.database.url).toBe(`file:${a.path}`);
      expect(a.database.client.protocol).toBe("file");
    }
    expect(b.database.url).not.toBe(a.database.url);
  });

  it("keeps test apps' databases apart", async () => {
    expect((await a.call("POST", "/products", { name: "only-in-a" })).status).toBe(201);
    expect((await b.call("GET", "/products/only-in-a")).status).toBe(404);
    expect((await a.call("GET", "/products/only-in-a")).status).toBe(200);
  });
});
