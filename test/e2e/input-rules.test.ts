import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { api, type RunningCollector, startCollector } from "../support/collector.ts";

// Issue 9 part 2 against the real collector process: bad characters and shapes are a 422 for the
// event at fault, never a 500, and never fail the other events of a batch.
let collector: RunningCollector;
beforeAll(async () => {
  collector = await startCollector();
});
afterAll(async () => {
  await collector.stop();
});

const DEEP = "__deep__";
/** JSON text of `body` with `"__deep__"` replaced by 10,000 nested objects (too deep for JSON.stringify). */
function withDeep(body: unknown): string {
  const levels = 10_000;
  return JSON.stringify(body).replaceAll(
    `"${DEEP}"`,
    `${'{"a":'.repeat(levels - 1)}{}${"}".repeat(levels - 1)}`,
  );
}

async function post(path: string, text: string): ReturnType<typeof api> {
  const res = await fetch(`${collector.url}${path}`, {
    method: "POST",
    headers: { authorization: `Bearer ${collector.token}`, "content-type": "application/json" },
    body: text,
  });
  return { status: res.status, body: await res.json(), headers: res.headers };
}

describe("input rules over HTTP", () => {
  it("answers a NUL version, 10,000-deep metadata and a lone surrogate each with a 422, in a batch and alone", async () => {
    const deployment = (version: string, extra: Record<string, unknown> = {}) => ({
      kind: "deployment",
      event: {
        product_name: "checkout",
        version,
        environment_name: "production",
        status: "completed",
        ...extra,
      },
    });
    const batch = await post(
      "/events/batch",
      withDeep({
        events: [
          deployment("1.4.0"),
          deployment("1.4.0\u0000x"),
          deployment("1.4.1", { extra_metadata: DEEP }),
          deployment("1.4.2", { scm_branch: "\ud83d" }),
          deployment("1.5.0"),
        ],
      }),
    );
    expect(batch.status).toBe(200);
    expect(batch.body.results.map((r: { status: number }) => r.status)).toEqual([200, 422, 422, 422, 200]);
    expect(batch.body.results[1].body.detail[0].loc).toEqual(["body", "events", 1, "event", "version"]);

    const single = await post(
      "/build-events/",
      withDeep({ product_name: "checkout", version: "2", status: "completed", extra_metadata: DEEP }),
    );
    expect(single.status).toBe(422);
    expect(single.body.detail[0].loc).toEqual(["body", "extra_metadata"]);

    const versions = await api(collector, "GET", "/versions?product=checkout");
    expect(versions.body.items.map((v: { version: string }) => v.version).sort()).toEqual(["1.4.0", "1.5.0"]);
    const state = await api(collector, "GET", "/state");
    expect(state.body.products[0].cells[0].current.version).toBe("1.5.0");
  });
});
