import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Libsql from "libsql";
import { afterEach, describe, expect, it } from "vitest";
import { type Database, openDatabase } from "./client.ts";

// A real new file, whatever VERSIONER_TEST_ENGINE says: WAL mode is a local file's.

const folders: string[] = [];
const opened: Database[] = [];

afterEach(() => {
  for (const database of opened.splice(0)) database.close();
  for (const folder of folders.splice(0)) rmSync(folder, { recursive: true, force: true });
});

function newFilePath(): string {
  const folder = mkdtempSync(join(tmpdir(), "versioner-client-"));
  folders.push(folder);
  return join(folder, "versioner.db");
}

describe("openDatabase on a new local file", () => {
  it("waits for another connection's write lock before switching the file to WAL", async () => {
    const path = newFilePath();
    // What a second collector starting on the same new file holds for a moment: the write lock
    // of a file still in rollback mode. The switch reads the header, then must write it.
    const other = new Libsql(path, { timeout: 5_000 });
    other.exec("BEGIN IMMEDIATE");
    const released = new Promise<void>((resolve) =>
      setTimeout(() => {
        other.exec("ROLLBACK");
        resolve();
      }, 200),
    );
    try {
      const database = await openDatabase({ url: `file:${path}`, timeoutMs: 5_000 });
      opened.push(database);
      await released;
      const mode = await database.client.execute("PRAGMA journal_mode");
      expect(mode.rows[0]?.[0]).toBe("wal");
      const tables = await database.client.execute(
        "SELECT count(*) FROM sqlite_master WHERE name = 'products'",
      );
      expect(tables.rows[0]?.[0]).toBe(1);
    } finally {
      await released;
      other.close();
    }
  });

  it("still fails when the lock outlasts the busy timeout", async () => {
    const path = newFilePath();
    const other = new Libsql(path, { timeout: 5_000 });
    other.exec("BEGIN IMMEDIATE");
    try {
      await expect(openDatabase({ url: `file:${path}`, timeoutMs: 150 })).rejects.toMatchObject({
        code: "SQLITE_BUSY",
      });
    } finally {
      other.exec("ROLLBACK");
      other.close();
    }
  });
});
