import { describe, expect, it } from "vitest";
import { Pacer } from "../db/pacing.ts";
import { pacedJson } from "./paced-json.ts";

describe("pacedJson", () => {
  it("gives the JSON of the whole body, the array first and the other fields after it", async () => {
    const body = {
      accepted: 2,
      results: [
        { index: 0, body: { a: 'x"y' } },
        { index: 1, body: null },
      ],
      rejected: 0,
    };
    const text = await pacedJson(body, "results");
    expect(JSON.parse(text)).toEqual(body);
    expect(Object.keys(JSON.parse(text))).toEqual(["results", "accepted", "rejected"]);
  });

  it("handles an empty array and a body with no other field", async () => {
    expect(await pacedJson({ results: [] }, "results")).toBe('{"results":[]}');
    expect(JSON.parse(await pacedJson({ results: [], n: 1 }, "results"))).toEqual({ results: [], n: 1 });
  });

  it("lets the event loop turn between steps once a slice has passed", async () => {
    let turns = 0;
    let done = false;
    const turn = () => {
      turns++;
      if (!done) setImmediate(turn);
    };
    setImmediate(turn);
    const items = Array.from({ length: 500 }, (_, index) => ({ index }));
    // A slice of 0 ms: every step (50 items) lets the loop turn first.
    const text = await pacedJson({ items }, "items", new Pacer(0));
    done = true;
    expect(JSON.parse(text).items).toEqual(items);
    expect(turns).toBeGreaterThanOrEqual(9);
  });
});
