import type { TestProject } from "vitest/node";
import { startSqld } from "./sqld-server.ts";
import { TEST_ENGINE } from "./test-engine.ts";

/**
 * Vitest global setup: with VERSIONER_TEST_ENGINE=sqld, one libSQL server with namespaces for the
 * whole run; every test app makes a namespace of its own on it (test-database.ts). One server
 * instead of one per app: a start costs ~100 ms and a namespace ~10 ms.
 */
export default async function setup(project: TestProject): Promise<(() => Promise<void>) | undefined> {
  if (TEST_ENGINE !== "sqld") {
    project.provide("sqld", undefined);
    return undefined;
  }
  const sqld = await startSqld({ namespaces: true });
  if (!sqld.adminUrl) throw new Error("sqld started without its admin API");
  project.provide("sqld", { url: sqld.url, adminUrl: sqld.adminUrl });
  return () => sqld.stop();
}
