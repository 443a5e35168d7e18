/**
 * What a caller can see of a client's answer (a ResultSet, or an array of them): its JSON, and each
 * row's values by name, by position and its length. Two clients that must answer alike (the file
 * client, the server client, @libsql/client) are compared through it.
 */
export function resultSnapshot(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(resultSnapshot);
  if (value && typeof value === "object" && "rows" in value && "toJSON" in value) {
    const result = value as { rows: ArrayLike<unknown>[]; toJSON(): unknown };
    return {
      json: result.toJSON(),
      rows: result.rows.map((row) => ({ named: { ...row }, positions: Array.from(row), length: row.length })),
    };
  }
  return value;
}
