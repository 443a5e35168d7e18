import type { InValue } from "@libsql/client";
import {
  type Column,
  eq,
  getTableColumns,
  getTableName,
  is,
  Param,
  Placeholder,
  type SQLWrapper,
  sql,
} from "drizzle-orm";
import type { BatchItem } from "drizzle-orm/batch";
import { SQLiteAsyncDialect, type SQLiteTable } from "drizzle-orm/sqlite-core";
import type { Db } from "./client.ts";

/**
 * Inserts and updates by id whose SQL drizzle builds once per table (and per set of updated
 * columns), then only fills in the values: building the same INSERT again for every event was a
 * quarter of batch ingest's CPU. Values go through each column's own mapping (JSON, booleans), as
 * they do when drizzle builds the statement; the result is a plain statement for `client.batch`.
 *
 * Every column is written, as drizzle writes them (`null` for a missing value): a table with
 * column defaults computed in JavaScript would need drizzle to build each statement, so compiling
 * one refuses (the tables ingest writes have none).
 */
export function insertStatement<T extends SQLiteTable>(
  db: Db,
  table: T,
  row: T["$inferInsert"],
): CompiledStatement {
  let template = inserts.get(table);
  if (!template) {
    const columns = getTableColumns(table);
    for (const [name, column] of Object.entries(columns)) assertNoComputedDefault(table, name, column);
    const placeholders = Object.fromEntries(
      Object.keys(columns).map((name) => [name, sql.placeholder(name)]),
    );
    template = compile(
      db
        .insert(table)
        .values(placeholders as T["$inferInsert"])
        .toSQL(),
    );
    inserts.set(table, template);
  }
  return fill(template, row as Record<string, unknown>);
}

/** `UPDATE table SET <the columns in changes> WHERE id = ?`; changes without a value are left alone. */
export function updateByIdStatement<T extends SQLiteTable & { id: Column }>(
  db: Db,
  table: T,
  changes: Partial<T["$inferInsert"]>,
  id: string,
): CompiledStatement {
  const values: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(changes)) if (value !== undefined) values[name] = value;
  const names = Object.keys(values);
  const key = names.join(",");
  let byColumns = updates.get(table);
  if (!byColumns) {
    byColumns = new Map();
    updates.set(table, byColumns);
  }
  let template = byColumns.get(key);
  if (!template) {
    const columns = getTableColumns(table);
    for (const name of Object.keys(columns)) assertNoComputedDefault(table, name, columns[name] as Column);
    const set = Object.fromEntries(names.map((name) => [name, sql.placeholder(name)]));
    template = compile(
      db
        .update(table)
        .set(set as Partial<T["$inferInsert"]>)
        .where(eq(table.id, sql.placeholder(ID)))
        .toSQL(),
    );
    byColumns.set(key, template);
  }
  values[ID] = id;
  return fill(template, values);
}

/** The placeholder of the row id in an update (not a column name, so it never meets one). */
const ID = "\u0000id";

/** A statement as `client.batch` takes it, with its values already mapped for the driver. */
export interface CompiledStatement {
  sql: string;
  args: InValue[];
}

/** A write of a transaction: a drizzle query, or a statement compiled here. */
export type WriteStatement = (BatchItem<"sqlite"> & SQLWrapper) | CompiledStatement;

/** The SQL and values `statement` sends: a drizzle query built as drizzle's own batch builds it. */
export function plainStatement(statement: WriteStatement): CompiledStatement {
  if ("args" in statement) return statement;
  // Its parameters come out as the columns' driver values (JSON text, 0/1).
  const query = dialect.sqlToQuery(statement.getSQL());
  return { sql: query.sql, args: query.params as InValue[] };
}

const dialect = new SQLiteAsyncDialect();

type Slot = { name: string; encode?: (value: unknown) => unknown } | { literal: InValue };

interface Template {
  sql: string;
  slots: Slot[];
}

const inserts = new WeakMap<SQLiteTable, Template>();
const updates = new WeakMap<SQLiteTable, Map<string, Template>>();

function compile(query: { sql: string; params: unknown[] }): Template {
  const slots = query.params.map((param): Slot => {
    if (is(param, Param) && is(param.value, Placeholder)) {
      const encoder = param.encoder as { mapToDriverValue(value: unknown): unknown } | undefined;
      return {
        name: param.value.name,
        encode: encoder ? (value) => encoder.mapToDriverValue(value) : undefined,
      };
    }
    if (is(param, Placeholder)) return { name: param.name };
    return { literal: param as InValue };
  });
  return { sql: query.sql, slots };
}

function fill(template: Template, values: Record<string, unknown>): CompiledStatement {
  const args = template.slots.map((slot) => {
    if ("literal" in slot) return slot.literal;
    const value = values[slot.name];
    // As drizzle does: a null (or missing) value is bound as NULL, never through the mapping
    // (a JSON column would store the text "null").
    if (value === null || value === undefined) return null;
    return (slot.encode ? slot.encode(value) : value) as InValue;
  });
  return { sql: template.sql, args };
}

function assertNoComputedDefault(table: SQLiteTable, name: string, column: Column): void {
  if (column.default !== undefined || column.defaultFn !== undefined || column.onUpdateFn !== undefined) {
    throw new Error(`${getTableName(table)}.${name} has a default: write it through drizzle instead`);
  }
}
