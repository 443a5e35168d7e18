// Types for the parts of servers.mjs that end-to-end tests use (test/e2e/bench-engine-figures.test.ts).

export interface BenchSqld {
  url: string;
  adminUrl: string;
  pid: number;
  output(): string;
  stop(): Promise<void>;
}

export interface BenchCollector {
  name: string;
  url: string;
  token: string;
  pid: number;
  sqld: BenchSqld | null;
  databasePath: string | null;
  output(): string;
  exitedWith(): string | null;
  stop(): Promise<void>;
}

export const SQLD_BINARY: string;
export function startSqld(): Promise<BenchSqld>;
export function startCollector(options?: {
  token?: string;
  env?: Record<string, string>;
  sqld?: BenchSqld;
  /** A copy of collector/dist/server.js to start instead (the pages section's). */
  entry?: string;
}): Promise<BenchCollector>;
