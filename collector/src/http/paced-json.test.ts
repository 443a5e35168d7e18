import { describe, expect, it } from "vitest";
import { Pacer } from "../db/pacing.ts";
import { pacedJson } from "./paced-json.ts";

/** The answer's bytes read as UTF-8 text. */
const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes);

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
    const json = text(await pacedJson(body, "results"));
    expect(JSON.parse(json)).toEqual(body);
    expect(Object.keys(JSON.parse(json))).toEqual(["results", "accepted", "rejected"]);
  });

  it("handles an empty array and a body with no other field", async () => {
    expect(text(await pacedJson({ results: [] }, "results"))).toBe('{"results":[]}');
    expect(JSON.parse(text(await pacedJson({ results: [], n: 1 }, "results")))).toEqual({
      results: [],
      n: 1,
    });
  });

  it("encodes the text as UTF-8, across the steps' edges", async () => {
    const items = Array.from({ length: 120 }, (_, index) => ({ index, name: `déploiement ${index} ✓` }));
    const bytes = await pacedJson({ items, note: "🚀" }, "items");
    expect(text(bytes)).toBe(JSON.stringify({ items, note: "🚀" }));
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
    const json = text(await pacedJson({ items }, "items", new Pacer(0)));
    done = true;
    expect(JSON.parse(json).items).toEqual(items);
    expect(turns).toBeGreaterThanOrEqual(9);
  });
});
