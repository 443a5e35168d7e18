import { describe, expect, it } from "vitest";
import { Metadata, Name } from "./fields.ts";
import { fieldsProblem, jsonProblem, MAX_JSON_DEPTH, textProblem } from "./input-rules.ts";

function nestedArrays(levels: number): unknown {
  let value: unknown = [];
  for (let i = 1; i < levels; i += 1) value = [value];
  return value;
}

describe("textProblem", () => {
  it.each([
    ["NUL", "1.4.0\u0000x", "U+0000"],
    ["tab", "a\tb", "U+0009"],
    ["line feed", "a\nb", "U+000A"],
    ["unit separator", "a\u001fb", "U+001F"],
    ["DEL", "a\u007f", "U+007F"],
    ["C1 control", "a\u009f", "U+009F"],
    ["lone high surrogate", "\ud83d", "U+D83D"],
    ["lone low surrogate", "x\ude80", "U+DE80"],
    ["reversed pair", "\ude80\ud83d", "U+DE80"],
  ])("refuses a %s in a one-line text, naming the code point", (_, value, code) => {
    expect(textProblem(value)).toContain(code);
  });

  it("accepts printable Unicode, including astral characters and U+00A0", () => {
    for (const value of ["checkout", "1.0.0+β", "prod-東京", "feat/🚀", "a\u00a0b", "\u{10ffff}"]) {
      expect(textProblem(value)).toBeUndefined();
    }
  });

  it("keeps tabs and line breaks in multi-line text, and nothing else", () => {
    expect(textProblem("one\r\ntwo\tthree", "multi-line")).toBeUndefined();
    expect(textProblem("one\u0000", "multi-line")).toContain("U+0000");
    expect(textProblem("\ud800", "multi-line")).toContain("lone surrogate");
  });
});

describe("jsonProblem", () => {
  it(`accepts ${MAX_JSON_DEPTH} levels and refuses one more`, () => {
    expect(jsonProblem(nestedArrays(MAX_JSON_DEPTH))).toBeUndefined();
    expect(jsonProblem(nestedArrays(MAX_JSON_DEPTH + 1))).toMatchObject({ kind: "depth" });
  });

  it("walks 100,000 levels without recursion", () => {
    const deep = JSON.parse(`${"[".repeat(100_000)}${"]".repeat(100_000)}`);
    expect(jsonProblem(deep)?.message).toBe("must not nest objects and arrays more than 32 levels deep");
  });

  it("names the path of a lone surrogate in a value or a key, and allows control characters", () => {
    expect(jsonProblem({ a: [1, { b: "\ud83d" }] })).toMatchObject({ kind: "text", path: ["a", 1, "b"] });
    expect(jsonProblem({ a: { "k\udc00": 1 } })?.path).toEqual(["a", "k\udc00"]);
    expect(jsonProblem({ a: "NUL \u0000 and tab \t are escaped in JSON", n: null, t: true })).toBeUndefined();
  });

  it("reports the field at fault for a whole body", () => {
    expect(
      fieldsProblem({ ok: nestedArrays(MAX_JSON_DEPTH), deep: nestedArrays(MAX_JSON_DEPTH + 1) }),
    ).toEqual({
      kind: "depth",
      path: ["deep"],
      message: "must not nest objects and arrays more than 32 levels deep",
    });
  });
});

describe("zod fields", () => {
  it("Name trims, then refuses what is left", () => {
    expect(Name.parse("  1.4.0\n")).toBe("1.4.0");
    expect(Name.safeParse("1.4\u00000").error?.issues[0]?.message).toMatch(/U\+0000/);
  });

  it("Metadata reports depth at the field and surrogates where they are", () => {
    const deep = Metadata.safeParse({ a: nestedArrays(40) });
    expect(deep.error?.issues[0]).toMatchObject({ path: [], message: expect.stringMatching(/32 levels/) });
    expect(Metadata.safeParse({ a: ["\ud83d"] }).error?.issues[0]?.path).toEqual(["a", 0]);
  });
});
