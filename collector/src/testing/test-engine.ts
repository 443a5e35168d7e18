/**
 * The database engine the tests run on, from VERSIONER_TEST_ENGINE: `file` (the default, a libSQL
 * file in a temp folder per test app) or `sqld` (a namespace of its own per test app on one libSQL
 * server the vitest global setup starts). `npm test` runs the suite once on each.
 */
export type TestEngine = "file" | "sqld";

export const TEST_ENGINE: TestEngine = engineNamed(process.env.VERSIONER_TEST_ENGINE);

function engineNamed(name: string | undefined): TestEngine {
  if (name === undefined || name === "" || name === "file") return "file";
  if (name === "sqld") return "sqld";
  // A typo must not quietly run the file suite a second time.
  throw new Error(`VERSIONER_TEST_ENGINE=${name}: expected "file" or "sqld"`);
}

/**
 * The key test apps on a libSQL server seal secrets with: the collector needs one for a remote
 * database (a local file gets a generated key file beside it), and every app on one namespace
 * must share it.
 */
export const TEST_SECRET_KEY = "versioner-test-secret-key-0123456789abcdef";

/** Where the global setup's sqld listens (provided to every test file in sqld mode). */
export interface SqldForTests {
  url: string;
  adminUrl: string;
}

declare module "vitest" {
  export interface ProvidedContext {
    sqld: SqldForTests | undefined;
  }
}
