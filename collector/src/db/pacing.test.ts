import { describe, expect, it } from "vitest";
import { Pacer, paced } from "./pacing.ts";

/** Whether a callback queued with setImmediate before `pause` ran before `pause` resolved. */
async function turnedDuring(pause: () => Promise<void>): Promise<boolean> {
  let turned = false;
  setImmediate(() => {
    turned = true;
  });
  await pause();
  const result = turned;
  await new Promise((resolve) => setImmediate(resolve));
  return result;
}

describe("pacing", () => {
  it("lets the event loop turn once the slice is spent, and not before", async () => {
    const spent = new Pacer(0);
    expect(await turnedDuring(() => spent.pause())).toBe(true);
    const fresh = new Pacer(60_000);
    expect(await turnedDuring(() => fresh.pause())).toBe(false);
  });

  it("paces every query's all() and returns its rows", async () => {
    const calls: string[] = [];
    const queries = {
      one: { all: async (n: number) => [n], get: async () => 0 },
      two: { all: async () => ["row"] },
    };
    const wrapped = paced(queries, new Pacer(0));
    setImmediate(() => calls.push("turn"));
    const rows = await wrapped.one.all(7);
    calls.push("read");
    expect(rows).toEqual([7]);
    expect(calls).toEqual(["turn", "read"]);
    expect(await wrapped.two.all()).toEqual(["row"]);
  });
});
