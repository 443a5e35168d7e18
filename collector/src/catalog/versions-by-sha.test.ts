import { desc, eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { products, versions } from "../db/schema/index.ts";
import { createTestApp, type TestApp, unique } from "../testing/test-app.ts";
import { shaMatches } from "./versions-service.ts";

let t: TestApp;
const product = unique("by-sha");
// Two commits that share their first 7 characters, one sent in upper case, and a short "SHA".
const shared = "abcdef1234567890abcdef1234567890abcdef12";
const sibling = "abcdef1999999999999999999999999999999999";
const upper = "0123456789ABCDEF0123456789ABCDEF01234567";
const short = "c0ffee";

beforeAll(async () => {
  t = await createTestApp();
  const built = [
    ["1.0", shared],
    ["1.1", sibling],
    ["1.2", upper],
    ["1.3", short],
  ] as const;
  for (const [version, scm_sha] of built) {
    const response = await t.call("POST", "/build-events", {
      product_name: product,
      version,
      status: "completed",
      scm_sha,
    });
    expect(response.status).toBe(200);
  }
  // Enough other versions that a scan of the table would be chosen only by a wrong plan.
  const events = Array.from({ length: 200 }, (_, i) => ({
    kind: "build",
    event: {
      product_name: `${product}-other`,
      version: `2.${i}`,
      status: "completed",
      scm_sha: `${i}`.repeat(40).slice(0, 40),
    },
  }));
  expect((await t.call("POST", "/events/batch", { events })).status).toBe(200);
});
afterAll(() => t.close());

async function found(scmSha: string): Promise<string[]> {
  const response = await t.call("GET", `/versions?product=${product}&scm_sha=${encodeURIComponent(scmSha)}`);
  expect(response.status).toBe(200);
  return response.body.items.map((item: { version: string }) => item.version).sort();
}

describe("GET /versions?scm_sha=", () => {
  it("finds a full SHA, or an abbreviation of 7 to 39 characters, whatever its case", async () => {
    expect(await found(shared)).toEqual(["1.0"]);
    expect(await found(shared.toUpperCase())).toEqual(["1.0"]);
    expect(await found(upper.toLowerCase())).toEqual(["1.2"]);
    expect(await found(upper.slice(0, 10))).toEqual(["1.2"]);
    // 7 characters name both commits; the 8th tells them apart.
    expect(await found(shared.slice(0, 7))).toEqual(["1.0", "1.1"]);
    expect(await found(shared.slice(0, 8))).toEqual(["1.0"]);
    expect(await found(sibling.slice(0, 8))).toEqual(["1.1"]);
    expect(await found(shared.slice(0, 39))).toEqual(["1.0"]);
  });

  it("takes fewer than 7 characters, and 40, as a whole SHA, not a prefix", async () => {
    expect(await found(short)).toEqual(["1.3"]);
    expect(await found(short.toUpperCase())).toEqual(["1.3"]);
    expect(await found(shared.slice(0, 6))).toEqual([]);
    expect(await found(`${shared.slice(0, 39)}0`)).toEqual([]);
    // Characters that LIKE would have read as wildcards are only characters (past the first 7,
    // which both commits share, so only the comparison of the rest can tell).
    expect(await found("abcdef1_")).toEqual([]);
    expect(await found("abcdef1%")).toEqual([]);
  });

  it.each([shared, shared.slice(0, 7), shared.slice(0, 12), short])(
    "seeks versions_scm_sha_idx for %s",
    async (sha) => {
      const query = t.database.db
        .select({ id: versions.id })
        .from(versions)
        .innerJoin(products, eq(products.id, versions.product_id))
        .where(shaMatches(sha))
        .orderBy(desc(versions.created_at), desc(versions.id))
        .toSQL();
      const plan = await t.database.client.execute({
        sql: `EXPLAIN QUERY PLAN ${query.sql}`,
        args: query.params as string[],
      });
      const detail = plan.rows.map((row) => String(row.detail)).join("\n");
      expect(detail).toMatch(/SEARCH versions USING INDEX versions_scm_sha_idx \(<expr>=\?\)/);
      expect(detail).not.toMatch(/SCAN versions/);
    },
  );
});
