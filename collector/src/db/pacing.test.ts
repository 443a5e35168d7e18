import { describe, expect, it } from "vitest";
import { Pacer } from "./pacing.ts";

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
});
