import { describe, expect, it } from "vitest";
import {
  BuildNumber,
  FreeText,
  Metadata,
  Name,
  OptionalText,
  OptionalTimestamp,
  SingleLineText,
  StatusInput,
  Timestamp,
} from "./fields.ts";

function messages(result: { success: boolean; error?: { issues: Array<{ message: string }> } }): string[] {
  return result.error?.issues.map((issue) => issue.message) ?? [];
}

function issues(result: { error?: { issues: Array<{ message: string; path: PropertyKey[] }> } }) {
  return result.error?.issues.map(({ message, path }) => ({ message, path })) ?? [];
}

describe("@versioner/schema/fields", () => {
  describe("Name", () => {
    it("trims and keeps up to 255 characters", () => {
      expect(Name.parse("  web  ")).toBe("web");
      expect(Name.parse("x".repeat(255))).toHaveLength(255);
      expect(Name.safeParse("x".repeat(256)).success).toBe(false);
    });

    it("refuses an empty or blank name with a clear message", () => {
      expect(messages(Name.safeParse("   "))).toEqual(["must not be empty"]);
    });

    it("refuses control characters, tabs included", () => {
      expect(messages(Name.safeParse("a\tb"))).toEqual([
        "must not contain the control character U+0009 (at position 1)",
      ]);
    });
  });

  describe("OptionalText", () => {
    it("treats null, undefined, empty and blank as not given", () => {
      const field = OptionalText();
      expect(field.parse(null)).toBeUndefined();
      expect(field.parse(undefined)).toBeUndefined();
      expect(field.parse("")).toBeUndefined();
      expect(field.parse("   ")).toBeUndefined();
    });

    it("trims, and limits the length (1024 by default)", () => {
      expect(OptionalText().parse(" main ")).toBe("main");
      expect(OptionalText().parse("x".repeat(1024))).toHaveLength(1024);
      expect(OptionalText().safeParse("x".repeat(1025)).success).toBe(false);
      expect(OptionalText(3).safeParse("abcd").success).toBe(false);
    });

    it("refuses a line break", () => {
      expect(messages(OptionalText().safeParse("a\nb"))).toEqual([
        "must not contain the control character U+000A (at position 1)",
      ]);
    });
  });

  describe("SingleLineText", () => {
    it("trims, limits the length and refuses line breaks", () => {
      expect(SingleLineText().parse(" x ")).toBe("x");
      expect(SingleLineText().safeParse("x".repeat(1024)).success).toBe(true);
      expect(SingleLineText().safeParse("x".repeat(1025)).success).toBe(false);
      expect(SingleLineText(2).safeParse("abc").success).toBe(false);
      expect(SingleLineText().safeParse("a\rb").success).toBe(false);
    });
  });

  describe("FreeText", () => {
    it("keeps tabs and line breaks but refuses other control characters", () => {
      expect(FreeText().parse("a\tb\r\nc")).toBe("a\tb\r\nc");
      expect(messages(FreeText().safeParse("a\u0000b"))).toEqual([
        "must not contain the control character U+0000 (at position 1)",
      ]);
    });

    it("limits the length (4096 by default)", () => {
      expect(FreeText().safeParse("x".repeat(4096)).success).toBe(true);
      expect(FreeText().safeParse("x".repeat(4097)).success).toBe(false);
      expect(FreeText(2).safeParse("abc").success).toBe(false);
    });
  });

  describe("Timestamp", () => {
    it("normalises an offset time to UTC with milliseconds", () => {
      expect(Timestamp.parse("2026-01-02T05:04:05+02:00")).toBe("2026-01-02T03:04:05.000Z");
    });

    it("refuses a date without a time, with the expected format in the message", () => {
      expect(messages(Timestamp.safeParse("2026-01-02"))).toEqual([
        "must be an RFC 3339 date-time, e.g. 2026-01-02T03:04:05Z",
      ]);
    });

    it("OptionalTimestamp maps null to undefined and still normalises", () => {
      expect(OptionalTimestamp.parse(null)).toBeUndefined();
      expect(OptionalTimestamp.parse("2026-01-02T03:04:05Z")).toBe("2026-01-02T03:04:05.000Z");
    });
  });

  describe("Metadata", () => {
    it("maps null to undefined and keeps an object as given", () => {
      expect(Metadata.parse(null)).toBeUndefined();
      expect(Metadata.parse({ a: [1, { b: "c" }] })).toEqual({ a: [1, { b: "c" }] });
    });

    it("reports nesting that is too deep on the field itself", () => {
      let deep: unknown = 1;
      for (let i = 0; i < 40; i += 1) deep = { d: deep };
      const found = issues(Metadata.safeParse(deep));
      expect(found).toHaveLength(1);
      expect(found[0]?.path).toEqual([]);
    });

    it("reports a lone surrogate at the key that holds it", () => {
      const found = issues(Metadata.safeParse({ outer: { inner: "\ud800" } }));
      expect(found).toHaveLength(1);
      expect(found[0]?.path).toEqual(["outer", "inner"]);
    });

    it("accepts 100 KB serialized and refuses more", () => {
      const fits = { a: "x".repeat(100 * 1024 - '{"a":""}'.length) };
      expect(Metadata.safeParse(fits).success).toBe(true);
      const tooBig = { a: "x".repeat(100 * 1024) };
      expect(issues(Metadata.safeParse(tooBig))).toEqual([
        { message: "must be at most 100 KB when serialized", path: [] },
      ]);
    });
  });

  describe("BuildNumber", () => {
    it("accepts a number or a string and yields a trimmed string", () => {
      expect(BuildNumber.parse(42)).toBe("42");
      expect(BuildNumber.parse(" 42 ")).toBe("42");
    });

    it("treats null, undefined and the empty string as not given", () => {
      expect(BuildNumber.parse(null)).toBeUndefined();
      expect(BuildNumber.parse(undefined)).toBeUndefined();
      expect(BuildNumber.parse("")).toBeUndefined();
    });

    it("limits it to 255 characters", () => {
      expect(BuildNumber.safeParse("9".repeat(255)).success).toBe(true);
      expect(messages(BuildNumber.safeParse("9".repeat(256)))).toEqual(["must be at most 255 characters"]);
    });

    it("refuses control characters", () => {
      expect(messages(BuildNumber.safeParse("4\u00002"))).toEqual([
        "must not contain the control character U+0000 (at position 1)",
      ]);
    });
  });

  describe("StatusInput", () => {
    it("yields the canonical status of an alias", () => {
      expect(StatusInput.parse("SUCCESS")).toBe("completed");
    });

    it("names the canonical statuses and the aliases when it refuses one", () => {
      const [message] = messages(StatusInput.safeParse("succeeded"));
      expect(message).toMatch(
        /^Unknown status 'succeeded'\. Use one of pending, started, completed, failed, aborted or an alias \(pending, queued, .*skipped\)$/,
      );
    });
  });
});

describe("issue codes", () => {
  it("reports every rule of its own as a custom issue, as the API's error mapping expects", () => {
    let deep: unknown = 1;
    for (let i = 0; i < 40; i += 1) deep = { d: deep };
    const results = [
      Name.safeParse("a\u0001"),
      Metadata.safeParse(deep),
      Metadata.safeParse({ a: "x".repeat(100 * 1024) }),
      BuildNumber.safeParse("1\u0001"),
      BuildNumber.safeParse("9".repeat(256)),
      StatusInput.safeParse("nope"),
    ];
    expect(results.map((result) => result.error?.issues.map((issue) => issue.code))).toEqual([
      ["custom"],
      ["custom"],
      ["custom"],
      ["custom"],
      ["custom"],
      ["custom"],
    ]);
  });
});
