import { randomBytes } from "node:crypto";
import dns from "node:dns";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { inject } from "vitest";
import type { Database } from "../db/client.ts";
import { TEST_ENGINE, TEST_SECRET_KEY } from "./test-engine.ts";

/** A fresh, empty database on the selected engine. */
export interface TestDatabaseLocation {
  /** DATABASE_URL for it: `file:<temp>/versioner.db` or `http://<namespace>.localhost:<port>`. */
  url: string;
  /** The file, on the file engine only. */
  path?: string;
  /** VERSIONER_SECRET_KEY for it: required on a server (a local file generates its own). */
  secretKey?: string;
  /** Removes the file's folder or drops the namespace. */
  dispose(): void;
}

export async function freshTestDatabase(): Promise<TestDatabaseLocation> {
  if (TEST_ENGINE === "file") {
    const dir = mkdtempSync(join(tmpdir(), "versioner-test-"));
    const path = join(dir, "versioner.db");
    return { url: `file:${path}`, path, dispose: () => rmSync(dir, { recursive: true, force: true }) };
  }
  const sqld = inject("sqld");
  if (!sqld) {
    throw new Error(
      "VERSIONER_TEST_ENGINE=sqld, but no sqld was started: run vitest with the collector's config",
    );
  }
  resolveNamespaceHosts();
  const namespace = `${NAMESPACE_PREFIX}${process.pid}-${randomBytes(4).toString("hex")}`;
  const created = await fetch(`${sqld.adminUrl}/v1/namespaces/${namespace}/create`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: "{}",
  });
  if (!created.ok)
    throw new Error(`sqld: creating namespace ${namespace}: ${created.status} ${await created.text()}`);
  const { port } = new URL(sqld.url);
  return {
    url: `http://${namespace}.localhost:${port}`,
    secretKey: TEST_SECRET_KEY,
    // The namespace is dropped in the background: close() is synchronous, and the server (with
    // whatever is left on it) goes away with the global teardown.
    dispose: () => {
      fetch(`${sqld.adminUrl}/v1/namespaces/${namespace}`, { method: "DELETE" }).catch(() => undefined);
    },
  };
}

const NAMESPACE_PREFIX = "versioner-test-";

/**
 * sqld picks a namespace by the first label of the Host header, and Node's fetch sends the URL's
 * host, so each namespace gets a `<namespace>.localhost` URL; resolve those names (and only those)
 * to loopback in this process, as a resolver with `*.localhost` support would.
 */
function resolveNamespaceHosts(): void {
  const marker = Symbol.for("versioner.test.namespaceHosts");
  const state = globalThis as { [marker]?: true };
  if (state[marker]) return;
  state[marker] = true;
  const lookup = dns.lookup;
  const patched = (hostname: string, ...rest: unknown[]) =>
    (lookup as (...args: unknown[]) => unknown)(
      hostname.startsWith(NAMESPACE_PREFIX) && hostname.endsWith(".localhost") ? "127.0.0.1" : hostname,
      ...rest,
    );
  dns.lookup = patched as typeof dns.lookup;
}

/**
 * Everything the database holds, as text, for tests that assert a secret is never stored: the file
 * and its WAL byte for byte on the file engine (deleted rows and old pages included), every row of
 * every table on a server (whose files the collector cannot see).
 */
export async function storedText(database: Database, path: string | undefined): Promise<string> {
  if (path) {
    await database.client.execute("PRAGMA wal_checkpoint(FULL)");
    return (
      readFileSync(path).toString("latin1") + readFileSync(`${path}-wal`, { flag: "a+" }).toString("latin1")
    );
  }
  const tables = await database.client.execute("SELECT name FROM sqlite_master WHERE type = 'table'");
  let text = "";
  for (const { name } of tables.rows) {
    const rows = await database.client.execute(`SELECT * FROM "${String(name)}"`);
    text += JSON.stringify(rows.rows);
  }
  return text;
}
