import { describe, expect, it } from "vitest";
import { parseInstants } from "./packed-facts.ts";

// The DORA read takes finished_at packed by group_concat and reads each instant by position when it
// is spelled as toISOString spells it; every other spelling must still read as Date.parse reads it.
describe("parseInstants", () => {
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
    "not a time at all, no",
  ];

  it.each(spellings)("%s reads as Date.parse reads it", (spelling) => {
    const [value] = parseInstants(spelling.replaceAll(",", ";"), 1);
    expect(value).toEqual(Date.parse(spelling.replaceAll(",", ";")));
  });

  it("reads a packed list of mixed spellings in order", () => {
    const list = spellings.map((spelling) => spelling.replaceAll(",", ";"));
    expect([...parseInstants(list.join(","), list.length)]).toEqual(
      list.map((spelling) => Date.parse(spelling)),
    );
  });
});
