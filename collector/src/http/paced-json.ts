import { Pacer } from "../db/pacing.ts";

/** Items stringified together between two chances to let the event loop turn. */
const ITEMS_PER_STEP = 50;

/**
 * The JSON of `body` as UTF-8 bytes, its `key` array stringified and encoded ITEMS_PER_STEP items
 * at a time, letting the event loop turn whenever a slice (SLICE_MS) has passed: a 1,000-event
 * batch's answer is about a megabyte, and stringified at once it held the loop for several
 * milliseconds after each batch, with a health check waiting behind it. (One item at a time cost
 * twice the CPU of one call.) Bytes, not text: the slices joined into one string were flattened,
 * measured and encoded again as the answer was sent, a megabyte three times in one turn of the
 * loop; each slice is encoded in its own step now, and the answer only copies them together. The
 * other fields keep their order, after the array.
 */
export async function pacedJson<K extends string>(
  body: { [P in K]: unknown[] } & Record<string, unknown>,
  key: K,
  pacer = new Pacer(),
): Promise<Uint8Array<ArrayBuffer>> {
  const { [key]: items, ...rest } = body;
  const others = JSON.stringify(rest);
  const parts: Buffer[] = [Buffer.from(`{${JSON.stringify(key)}:[`)];
  for (let start = 0; start < items.length; start += ITEMS_PER_STEP) {
    await pacer.pause();
    // "[a,b]" without its brackets (and a comma before every step but the first): the step's items.
    const json = JSON.stringify(items.slice(start, start + ITEMS_PER_STEP));
    parts.push(Buffer.from(start === 0 ? json.slice(1, -1) : `,${json.slice(1, -1)}`));
  }
  parts.push(Buffer.from(others === "{}" ? "]}" : `],${others.slice(1)}`));
  // Buffer.concat's memory is a plain ArrayBuffer (never shared), as Hono's body type asks.
  return Buffer.concat(parts) as Uint8Array<ArrayBuffer>;
}
