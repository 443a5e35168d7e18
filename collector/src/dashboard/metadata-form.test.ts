import { describe, expect, it } from "vitest";
import { ValidationError } from "../errors.ts";
import { formatMetadata, parseMetadata } from "./metadata-form.ts";

describe("metadata form", () => {
  it("round-trips text, numbers, booleans and lists", () => {
    const data = {
      team: "payments",
      repository: "https://github.com/acme/pay",
      tier: 1,
      pci: true,
      tags: ["a"],
    };
    expect(parseMetadata(formatMetadata(data), "extra_metadata")).toEqual(data);
  });

  it("keeps text that merely starts like JSON as text, and skips blank lines", () => {
    expect(parseMetadata("owner = 2nd floor\n\n note = a = b ", "m")).toEqual({
      owner: "2nd floor",
      note: "a = b",
    });
  });

  it("names the line without a key", () => {
    const error = (() => {
      try {
        parseMetadata("team = x\njust text", "extra_metadata");
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).detail).toEqual([
      { loc: ["body", "extra_metadata", 2], msg: "Line 2: write 'key = value'", type: "value_error" },
    ]);
  });
});
