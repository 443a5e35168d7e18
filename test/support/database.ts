import { TEST_ENGINE, TEST_SECRET_KEY } from "@versioner/collector/testing/test-engine";
import { type RunningSqld, startSqld } from "./sqld.ts";

export { TEST_ENGINE };

/** One libSQL server per database path, for the life of a test file (restarts find their data). */
const servers = new Map<string, Promise<RunningSqld>>();

/**
 * The environment that points a collector (or an admin command) at the database `dbPath` names on
 * the test engine (VERSIONER_TEST_ENGINE): the file itself, or a libSQL server of its own started on
 * first use and kept for every later start on the same path, so restart and crash tests find
 * their data again.
 */
export async function databaseEnv(dbPath: string): Promise<Record<string, string>> {
  if (TEST_ENGINE === "file") return { DATABASE_URL: `file:${dbPath}` };
  let server = servers.get(dbPath);
  if (!server) {
    server = startSqld();
    servers.set(dbPath, server);
    server.catch(() => servers.delete(dbPath));
  }
  return { DATABASE_URL: (await server).url, VERSIONER_SECRET_KEY: TEST_SECRET_KEY };
}

/** Stops the server behind `dbPath`, if the test engine started one. */
export async function dropDatabase(dbPath: string): Promise<void> {
  const server = servers.get(dbPath);
  servers.delete(dbPath);
  await (await server?.catch(() => undefined))?.stop();
}

/** Stops every server still running (after each test file; see vitest.config.ts). */
export async function dropAllDatabases(): Promise<void> {
  await Promise.all([...servers.keys()].map(dropDatabase));
}
