import { Pacer } from "../db/pacing.ts";

/** Items stringified together between two chances to let the event loop turn. */
const ITEMS_PER_STEP = 50;

/**
 * The JSON text of `body`, its `key` array stringified ITEMS_PER_STEP items at a time, letting the
 * event loop turn whenever a slice (SLICE_MS) has passed: a 1,000-event batch's answer is about a
 * megabyte, and stringified at once it held the loop for several milliseconds after each batch,
 * with a health check waiting behind it. (One item at a time cost twice the CPU of one call.) The
 * other fields keep their order, after the array.
 */
export async function pacedJson<K extends string>(
  body: { [P in K]: unknown[] } & Record<string, unknown>,
  key: K,
  pacer = new Pacer(),
): Promise<string> {
  const { [key]: items, ...rest } = body;
  const parts: string[] = [];
  for (let start = 0; start < items.length; start += ITEMS_PER_STEP) {
    await pacer.pause();
    // "[a,b]" without its brackets: the step's items, comma-separated.
    parts.push(JSON.stringify(items.slice(start, start + ITEMS_PER_STEP)).slice(1, -1));
  }
  const others = JSON.stringify(rest);
  return `{${JSON.stringify(key)}:[${parts.join(",")}]${others === "{}" ? "}" : `,${others.slice(1)}`}`;
}
