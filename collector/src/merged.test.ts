import { describe, expect, it } from "vitest";
import { merged } from "./merged.ts";

describe("merged", () => {
  it("is { ...base, ...extra }: every own key in order, the later value winning", () => {
    const base = { a: 1, b: 2, c: 3 };
    const result = merged(base, { b: 20, d: 4 });
    expect(result).toEqual({ a: 1, b: 20, c: 3, d: 4 });
    expect(Object.keys(result)).toEqual(Object.keys({ ...base, ...{ b: 20, d: 4 } }));
    expect(result).not.toBe(base);
    expect(base).toEqual({ a: 1, b: 2, c: 3 });
  });

  it("keeps a __proto__ key from client JSON a plain key, on either side, and the prototype Object's", () => {
    for (const [base, extra] of [
      [JSON.parse('{"__proto__": {"polluted": true}, "a": 1}'), { b: 2 }],
      [{ a: 1 }, JSON.parse('{"__proto__": {"polluted": true}, "b": 2}')],
    ]) {
      const result = merged(base, extra) as Record<string, unknown>;
      expect(Object.getPrototypeOf(result)).toBe(Object.prototype);
      expect(result.polluted).toBeUndefined();
      expect(Object.hasOwn(result, "__proto__")).toBe(true);
      expect(JSON.stringify(result)).toBe(JSON.stringify({ ...base, ...extra }));
    }
  });

  it("copies symbol keys and ignores inherited ones, as spread does", () => {
    const tag = Symbol("tag");
    const inherited = Object.create({ hidden: 1 }) as Record<string | symbol, unknown>;
    inherited.own = 2;
    inherited[tag] = 3;
    const result = merged(inherited, {}) as Record<string | symbol, unknown>;
    expect(result).toEqual({ own: 2, [tag]: 3 });
    expect("hidden" in result).toBe(false);
  });
});
