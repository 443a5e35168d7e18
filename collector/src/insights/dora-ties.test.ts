import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestApp, type TestApp, unique } from "../testing/test-app.ts";

// Deployments of one product to one environment finishing in the same millisecond follow their id
// (docs/insight.md#time-to-restore). The packed read comes in index order, where they follow their
// status instead (completed before failed), so such a pair of the history is read again with ids.

let t: TestApp;
let product: string;

async function deploy(version: string, status: string, completedAt: string): Promise<string> {
  const res = await t.call("POST", "/deployment-events/", {
    product_name: product,
    version,
    environment_name: "ties-prod",
    status,
    invoke_id: unique("run"),
    completed_at: completedAt,
  });
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return res.body.deployment_id;
}

interface Tie {
  day: string;
  /** The failed deployment's id sorts before the completed one's: the outage opens and closes at once. */
  failedFirst: boolean;
}

const ties: Tie[] = [];

beforeAll(async () => {
  t = await createTestApp();
  product = unique("ties");
  await deploy("0", "completed", "2026-04-01T09:00:00.000Z");
  // One tie a day (a failed and a completed deployment at 11:00), then a good one at 12:00. Ids are
  // time-ordered (UUIDv7): the one sent first has the smaller id, so which is sent first alternates
  // by day, and both readings are checked.
  for (let day = 1; day <= 4; day++) {
    const date = `2026-04-${String(day + 1).padStart(2, "0")}`;
    const [first, second] = day % 2 === 1 ? ["failed", "completed"] : ["completed", "failed"];
    const ids = {
      [first]: await deploy(`${day}.${first}`, first, `${date}T11:00:00.000Z`),
      [second]: await deploy(`${day}.${second}`, second, `${date}T11:00:00.000Z`),
    };
    await deploy(`${day}.g`, "completed", `${date}T12:00:00.000Z`);
    ties.push({ day: date, failedFirst: (ids.failed ?? "") < (ids.completed ?? "") });
  }
});
afterAll(() => t.close());

describe("DORA over deployments of one millisecond", () => {
  it("orders them by id: time to restore is 0 when the failed one comes first, else until the next good one", async () => {
    expect(ties.some((x) => x.failedFirst) && ties.some((x) => !x.failedFirst)).toBe(true);
    const res = await t.call(
      "GET",
      `/metrics/dora?product=${product}&environment=ties-prod&from=2026-04-02T00:00:00Z&to=2026-05-01T00:00:00Z&bucket=day`,
    );
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    for (const tie of ties) {
      const bucket = res.body.buckets.find((b: { start: string }) => b.start === `${tie.day}T00:00:00.000Z`);
      expect(bucket.deployments, tie.day).toBe(2);
      expect(bucket.change_failure, tie.day).toEqual({ deployments: 3, failures: 1, rate: 1 / 3 });
      expect(bucket.time_to_restore, tie.day).toEqual({
        count: 1,
        median_seconds: tie.failedFirst ? 0 : 3600,
        p90_seconds: tie.failedFirst ? 0 : 3600,
      });
    }
    expect(res.body.time_to_restore).toMatchObject({ count: ties.length, unresolved: 0 });
  });
});
