import { describe, expect, it } from "vitest";
import { uuidv7, uuidv7Generator } from "./uuidv7.ts";

const SHAPE = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

/** The 48-bit millisecond timestamp at the front of a version 7 UUID. */
const timeOf = (id: string) => Number.parseInt(id.replace("-", "").slice(0, 12), 16);
/** The 12-bit sequence (`rand_a`) after the version nibble. */
const sequenceOf = (id: string) => Number.parseInt(id.slice(15, 18), 16);

/** A clock the test sets by hand. */
function manualClock(start: number): { read: () => number; set(ms: number): void } {
  let now = start;
  return { read: () => now, set: (ms) => (now = ms) };
}

describe("uuidv7", () => {
  it("has the UUID shape with version 7 and the RFC 9562 variant", () => {
    for (let i = 0; i < 1000; i++) expect(uuidv7()).toMatch(SHAPE);
  });

  it("carries the time it was made, in milliseconds", () => {
    const before = Date.now();
    const id = uuidv7();
    expect(timeOf(id)).toBeGreaterThanOrEqual(before);
    expect(timeOf(id)).toBeLessThanOrEqual(Date.now());
    const at = Date.parse("2026-11-30T06:00:00.123Z");
    expect(timeOf(uuidv7Generator(() => at)())).toBe(at);
    // The largest 48-bit time keeps every byte.
    expect(uuidv7Generator(() => 2 ** 48 - 1)().slice(0, 13)).toBe("ffffffff-ffff");
  });

  it("sorts by the millisecond it was made in, as text", () => {
    const clock = manualClock(Date.parse("2026-01-01T00:00:00Z"));
    const next = uuidv7Generator(clock.read);
    const ids: string[] = [];
    for (let ms = 0; ms < 300; ms++) {
      clock.set(Date.parse("2026-01-01T00:00:00Z") + ms * 7);
      ids.push(next());
    }
    expect([...ids].sort()).toEqual(ids);
    expect(new Set(ids.map(timeOf)).size).toBe(300);
  });

  it("counts up within one millisecond, and after a step back of the clock", () => {
    const clock = manualClock(1_000_000);
    const next = uuidv7Generator(clock.read);
    const ids = Array.from({ length: 100 }, next);
    clock.set(999_000);
    ids.push(...Array.from({ length: 100 }, next));
    expect([...ids].sort()).toEqual(ids);
    expect(new Set(ids).size).toBe(200);
    expect(ids.every((id) => timeOf(id) === 1_000_000)).toBe(true);
    expect(sequenceOf(ids[0] ?? "")).toBeLessThan(2048);
  });

  it("moves to the next millisecond when the sequence runs out", () => {
    const next = uuidv7Generator(() => 5_000);
    const ids = Array.from({ length: 5000 }, next);
    expect([...ids].sort()).toEqual(ids);
    expect(new Set(ids).size).toBe(5000);
    expect(timeOf(ids.at(-1) ?? "")).toBeGreaterThan(5_000);
  });

  it("draws the bits after the sequence at random", () => {
    const next = uuidv7Generator(() => 42);
    const tails = new Set(Array.from({ length: 2000 }, () => next().slice(19)));
    expect(tails.size).toBe(2000);
  });
});
