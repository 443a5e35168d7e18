import { getTableName, is } from "drizzle-orm";
import { getTableConfig, SQLiteTable } from "drizzle-orm/sqlite-core";
import type { CompiledStatement, WriteStatement } from "./compiled-writes.ts";
import * as schema from "./schema/index.ts";

/**
 * Rewrites a transaction's statements so that consecutive single-row inserts into one table go as
 * one statement: a batch of 500 deployment events otherwise sends 2,000 statements (a version, a
 * deployment, its DORA fact and its event each), and a libSQL server pays for every statement of
 * a batch — parsing it, stepping it, answering it — far more than for a row (the bench's batches
 * on sqld: 2,075 → 3,099 events/s, the server's CPU 320 → 190 µs per event, as multi-row
 * `VALUES` lists). The rows go as **one JSON value**, `INSERT INTO t (…) SELECT value ->> 0, … FROM
 * json_each(?)`: the libSQL client encodes each bound value as an object of its own (about 2 µs a
 * value, 35–48 µs for a row of 21 in a probe) and the server decodes it so, where one JSON text
 * cost 13–17 µs a row to send and the server 19–27 µs instead of 27–35. Used for `client.batch`
 * only: through a local file SQLite costs the same per row either way (7–9 µs a row in one-row and
 * 8- to 64-row inserts), and the write thread measured slower.
 *
 * What the rewrite may move, and why the transaction's outcome stays the same:
 * - Only inserts of the form `INSERT INTO t (columns) VALUES (one row) [ON CONFLICT …]` with `?`
 *   parameters merge; anything else (an update, a drizzle query, an insert that reads its own
 *   table or returns rows) is a barrier: every insert before it is written before it.
 * - Between two barriers, the inserts of one table keep their order (a multi-row insert writes
 *   its rows in order; an insert of another shape into the same table ends the run first), so
 *   unique keys and upserts meet the rows as they would have one by one.
 * - Inserts into different tables commute, except through foreign keys and through what an
 *   insert reads: the merged inserts are written parents first (the tables ordered by their
 *   foreign keys, `tableRanks`), which every row that referred to an earlier row still finds; and
 *   an insert that reads a table (a subquery) ends the run when that table has inserts pending,
 *   or before the next one into it.
 * - The only triggers add one to the `/state` generation per row (a test pins it), which no order
 *   changes; a trigger that read other tables could see what the order changes.
 *
 * A run goes as statements of up to MAX_ROWS rows, each with one SQL text per kind of insert; a
 * lone row is sent unchanged.
 */
export function coalesceInserts(statements: readonly WriteStatement[]): WriteStatement[] {
  const out: WriteStatement[] = [];
  const pending = new Map<string, Run>();
  const reads = new Set<string>();
  const flush = () => {
    if (pending.size === 0) return;
    const runs = [...pending.values()].sort((a, b) => a.shape.rank - b.shape.rank);
    for (const run of runs) emit(run, out);
    pending.clear();
    reads.clear();
  };
  for (const statement of statements) {
    const shape = "args" in statement ? shapeOf(statement) : undefined;
    if (!shape) {
      flush();
      out.push(statement);
      continue;
    }
    const conflicts =
      (pending.get(shape.table)?.shape ?? shape) !== shape ||
      reads.has(shape.table) ||
      shape.reads.some((table) => pending.has(table));
    if (conflicts) flush();
    const run = pending.get(shape.table) ?? { shape, rows: [] };
    pending.set(shape.table, run);
    run.rows.push(statement as CompiledStatement);
    for (const table of shape.reads) reads.add(table);
  }
  flush();
  return out;
}

/** The most rows one merged insert carries. */
export const MAX_ROWS = 256;

interface Shape {
  table: string;
  /** Where the table stands in foreign-key order: a table comes after every table it refers to. */
  rank: number;
  /** The SQL of any number of such rows, taken from one JSON array of their values (`emit`). */
  merged: string;
  parameters: number;
  /** The other tables the row's values or the ON CONFLICT clause read. */
  reads: string[];
}

interface Run {
  shape: Shape;
  rows: CompiledStatement[];
}

function emit(run: Run, out: WriteStatement[]): void {
  const { shape, rows } = run;
  for (let at = 0; at < rows.length; at += MAX_ROWS) {
    const chunk = rows.slice(at, at + MAX_ROWS);
    const values = chunk.length > 1 ? jsonRows(chunk) : undefined;
    if (values === undefined) out.push(...chunk);
    else out.push({ sql: shape.merged, args: [values] });
  }
}

/**
 * The rows' values as one JSON array of arrays, which `json_each` hands back with their SQL types
 * (text, integer, real, null); undefined when a value has no exact JSON form (a blob, a number
 * that is not finite, a bigint beyond 2^53): those rows go one by one.
 */
function jsonRows(rows: CompiledStatement[]): string | undefined {
  const all: unknown[][] = [];
  for (const { args } of rows) {
    const row: unknown[] = [];
    for (const value of args) {
      if (value === null || typeof value === "string") row.push(value);
      else if (typeof value === "number" && Number.isFinite(value)) row.push(value);
      else if (typeof value === "boolean") row.push(value ? 1 : 0);
      else if (typeof value === "bigint" && Number.isSafeInteger(Number(value))) row.push(Number(value));
      else return undefined;
    }
    all.push(row);
  }
  return JSON.stringify(all);
}

// By SQL text; `null`: not a mergeable insert. Statement texts are a fixed set (compiled once per
// table or written as constants), but a drizzle-built text is cached too, so the cache is bounded.
const shapes = new Map<string, Shape | null>();
const MAX_SHAPES = 2_000;

function shapeOf(statement: CompiledStatement): Shape | undefined {
  let shape = shapes.get(statement.sql);
  if (shape === undefined) {
    if (shapes.size >= MAX_SHAPES) shapes.clear();
    shape = parse(statement.sql);
    shapes.set(statement.sql, shape);
  }
  if (!shape || shape.parameters !== statement.args.length) return undefined;
  return shape;
}

const INSERT = /^(\s*insert\s+into\s+"?([A-Za-z_]\w*)"?\s*\([^()]*\))\s*values\s*\(/i;

/** The alias of the JSON rows in a merged insert (see `parse`). */
const ROW = "coalesced_row";

/** The shape of a single-row insert that may merge with its kind, or null. */
export function parse(sql: string): Shape | null {
  const match = INSERT.exec(sql);
  if (!match) return null;
  const table = match[2] as string;
  const rank = tableRanks().get(table);
  // Parentheses and parameters are looked for outside quoted text; the tables read, outside
  // string literals only (a quoted identifier names a table too).
  const code = blanked(sql, `'"`);
  const identifiers = blanked(sql, "'");
  if (rank === undefined || code === undefined || identifiers === undefined) return null;
  const start = match[0].length - 1;
  const end = closingParenthesis(code, start);
  if (end < 0) return null;
  // Already several rows, rows returned, or numbered/named parameters, or any in the ON CONFLICT
  // clause: left as it is.
  const tail = code.slice(end + 1);
  if (/^\s*,|\breturning\b|\?/i.test(tail) || /\?\d|[:@$][A-Za-z_]/.test(code.slice(start))) return null;
  const reads = [...identifiers.slice(start).matchAll(/\b(?:from|join)\s+"?([A-Za-z_]\w*)"?/gi)].map(
    (m) => m[1] as string,
  );
  // An insert that reads its own table: SQLite materializes such a source before writing any row,
  // so one merged statement would not see its earlier rows.
  if (reads.includes(table)) return null;
  // The row's values, each `?` the row's next JSON value; the WHERE clause keeps SQLite from
  // reading an ON CONFLICT clause as a join's ON; json_each lists the rows in array order.
  let parameters = 0;
  let values = "";
  for (let i = start + 1; i < end; i++)
    values += code[i] === "?" ? `${ROW}.value ->> ${parameters++}` : sql[i];
  return {
    table,
    rank,
    merged: `${match[1]} SELECT ${values} FROM json_each(?) AS ${ROW} WHERE true ORDER BY ${ROW}.key${sql.slice(end + 1)}`,
    parameters,
    reads: [...new Set(reads)],
  };
}

/** The index of the parenthesis that closes the one at `open` in `code`; -1 if none. */
function closingParenthesis(code: string, open: number): number {
  let depth = 0;
  for (let i = open; i < code.length; i++) {
    if (code[i] === "(") depth++;
    else if (code[i] === ")" && --depth === 0) return i;
  }
  return -1;
}

/**
 * `sql` with the text between each pair of `quotes` blanked (the quotes kept, the length the same,
 * so an index in one is an index in the other); undefined when a quote is not closed.
 */
function blanked(sql: string, quotes: string): string | undefined {
  let result = "";
  for (let i = 0; i < sql.length; i++) {
    const c = sql[i] as string;
    if (!quotes.includes(c)) {
      result += c;
      continue;
    }
    const close = sql.indexOf(c, i + 1);
    if (close < 0) return undefined;
    result += `${c}${" ".repeat(close - i - 1)}${c}`;
    i = close;
  }
  return result;
}

let ranks: Map<string, number> | undefined;

/**
 * Every table of the schema with its depth in the foreign-key graph: 0 for a table that refers to
 * no other, else one more than the deepest table it refers to. A table on a cycle of references, or
 * referring to one (none today), gets no rank, so its inserts never merge.
 */
export function tableRanks(): Map<string, number> {
  if (ranks) return ranks;
  const parents = new Map<string, string[]>();
  for (const value of Object.values(schema)) {
    if (!is(value, SQLiteTable)) continue;
    const name = getTableName(value);
    const referred = getTableConfig(value).foreignKeys.map((key) =>
      getTableName(key.reference().foreignTable),
    );
    parents.set(name, [...new Set(referred.filter((parent) => parent !== name))]);
  }
  const found = new Map<string, number>();
  for (let more = true; more; ) {
    more = false;
    for (const [name, referred] of parents) {
      if (found.has(name) || !referred.every((parent) => found.has(parent))) continue;
      found.set(name, Math.max(-1, ...referred.map((parent) => found.get(parent) as number)) + 1);
      more = true;
    }
  }
  ranks = found;
  return ranks;
}
