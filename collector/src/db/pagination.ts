import { and, type Column, eq, gt, lt, or, type SQL } from "drizzle-orm";
import { ValidationError } from "../errors.ts";

// Keyset pagination over (time, id): services page their queries with it; the HTTP layer only
// declares the `?limit=&cursor=` query (http/pagination.ts).

export const DEFAULT_LIMIT = 50;
export const MAX_LIMIT = 500;

/** A position in a list ordered by (time desc, id desc). */
export interface Cursor {
  at: string;
  id: string;
}

function encodeCursor(cursor: Cursor): string {
  return Buffer.from(JSON.stringify([cursor.at, cursor.id])).toString("base64url");
}

function decodeCursor(value: string): Cursor {
  try {
    const [at, id] = JSON.parse(Buffer.from(value, "base64url").toString("utf8")) as unknown[];
    if (typeof at === "string" && typeof id === "string") return { at, id };
  } catch {
    // reported below
  }
  throw ValidationError.field(["query", "cursor"], "is not a cursor returned by this API", "value_error");
}

/** Takes one row more than the page to know whether another page follows. */
export function toPage<T, U>(
  rows: T[],
  limit: number,
  position: (row: T) => Cursor,
  view: (row: T) => U,
): { items: U[]; next_cursor: string | null } {
  const page = rows.slice(0, limit);
  const last = page.at(-1);
  return {
    items: page.map(view),
    next_cursor: rows.length > limit && last ? encodeCursor(position(last)) : null,
  };
}

/**
 * The keyset condition "after this cursor" for a list ordered by (key, id), newest first by
 * default (`desc`) or alphabetically (`asc`): rows strictly past the last row of the previous page.
 */
export function afterCursor(value: string, key: Column, id: Column, order: "asc" | "desc" = "desc"): SQL {
  const after = decodeCursor(value);
  const past = order === "desc" ? lt : gt;
  return or(past(key, after.at), and(eq(key, after.at), past(id, after.id))) as SQL;
}
