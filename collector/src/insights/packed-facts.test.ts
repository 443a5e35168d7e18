import { describe, expect, it } from "vitest";
import { unpackFacts } from "./packed-facts.ts";

// The DORA read takes each fact as `<finished_at> <flags digit><lead_ms>`, joined with commas, and
// reads each time by position when it is spelled as toISOString spells it: every other spelling
// must still read as Date.parse reads it, and every lead as Number reads it.
const unpack = (facts: readonly string[]) =>
  unpackFacts({
    product_id: "p",
    environment_id: "e",
    ids: null,
    count: facts.length,
    facts: facts.join(","),
  });

describe("unpackFacts", () => {
  const spellings = [
    "2025-01-31T09:05:00.000Z",
    "2024-02-29T23:59:59.999Z",
    "1970-01-01T00:00:00.000Z",
    "2025-01-31T09:05:00Z",
    "2025-01-31T10:05:00.000+01:00",
    "+010000-01-01T00:00:00.000Z",
    "0050-06-01T00:00:00.000Z",
    "2025-02-29T00:00:00.000Z",
    "2025-04-31T12:00:00.000Z",
    "2025-13-01T00:00:00.000Z",
    "2025-01-01T24:00:00.000Z",
    "2025-01-01T00:60:00.000Z",
    "2025-01-0aT00:00:00.000Z",
    "2025/01/01T00:00:00.000Z",
  ];

  it.each(spellings)("%s reads as Date.parse reads it", (spelling) => {
    const columns = unpack([`${spelling} 3120000`]);
    expect(columns.finished[0]).toEqual(Date.parse(spelling));
    expect(columns.flags[0]).toBe(3);
    expect(columns.leads[0]).toBe(120);
  });

  it("reads every fact of a row in order: times, flags and leads (none, whole, odd)", () => {
    const facts = spellings.map((spelling, i) => ({
      spelling,
      flags: i % 8,
      lead: [null, 0, 7_200_000, 1.5, -20][i % 5] as number | null,
    }));
    const columns = unpack(facts.map((f) => `${f.spelling} ${f.flags}${f.lead ?? ""}`));
    expect([...columns.finished]).toEqual(facts.map((f) => Date.parse(f.spelling)));
    expect([...columns.flags]).toEqual(facts.map((f) => f.flags));
    expect([...columns.leads]).toEqual(facts.map((f) => (f.lead === null ? Number.NaN : f.lead / 1000)));
  });

  it("reads a row of one fact without a lead, and an empty row", () => {
    expect([...unpack(["2025-01-31T09:05:00.000Z 0"]).leads]).toEqual([Number.NaN]);
    expect(unpack([]).finished.length).toBe(0);
  });
});
