import { UsageError } from "@versioner/ci-env";
import { type RetryInfo, VersionerClient } from "@versioner/client";
import packageJson from "../package.json" with { type: "json" };
import type { Io } from "./io.ts";

/** Version of the CLI, printed by `--version` and sent in the `User-Agent`. */
export const CLI_VERSION: string = packageJson.version;

/** A string flag's value, if it was given. */
export function stringFlag(values: Record<string, string | boolean>, name: string): string | undefined {
  const value = values[name];
  return typeof value === "string" ? value : undefined;
}

function setting(values: Record<string, string | boolean>, flag: string, io: Io, envName: string) {
  const fromFlag = values[flag];
  if (typeof fromFlag === "string" && fromFlag.trim()) return fromFlag.trim();
  return io.env[envName]?.trim() || undefined;
}

/** Whether an API key was given, by `--api-key` or `VERSIONER_API_KEY`. */
export function apiKeyGiven(values: Record<string, string | boolean>, io: Io): boolean {
  return setting(values, "api-key", io, "VERSIONER_API_KEY") !== undefined;
}

/** Builds a client from `--api-url`/`--api-key`/`--timeout` or their `VERSIONER_*` variables. */
export function createClient(
  values: Record<string, string | boolean>,
  io: Io,
  options: { requireKey: boolean },
): VersionerClient {
  const apiUrl = setting(values, "api-url", io, "VERSIONER_API_URL");
  if (!apiUrl) throw new UsageError("The collector URL is missing: set VERSIONER_API_URL or pass --api-url");
  if (!/^https?:\/\//i.test(apiUrl)) throw new UsageError("api-url must start with http:// or https://");
  const apiKey = setting(values, "api-key", io, "VERSIONER_API_KEY");
  if (options.requireKey && !apiKey) {
    throw new UsageError("The API key is missing: set VERSIONER_API_KEY (or pass --api-key)");
  }
  if (typeof values["api-key"] === "string" && !values.quiet) {
    io.stderr("warning: --api-key is visible in process lists and shell history; prefer VERSIONER_API_KEY\n");
  }
  const timeout = setting(values, "timeout", io, "VERSIONER_TIMEOUT");
  const seconds = timeout === undefined ? 30 : Number(timeout);
  if (!Number.isFinite(seconds) || seconds <= 0) {
    throw new UsageError(`timeout must be a positive number of seconds, not '${timeout}'`);
  }
  return new VersionerClient({
    apiUrl,
    ...(apiKey ? { apiKey } : {}),
    timeoutMs: Math.round(seconds * 1000),
    userAgent: `versioner-cli/${CLI_VERSION}`,
    ...(io.fetch ? { fetch: io.fetch } : {}),
    onRetry: (info: RetryInfo) => {
      if (!values.quiet) {
        io.stderr(
          `versioner: attempt ${info.attempt} failed (${info.reason}); retrying in ${(info.delayMs / 1000).toFixed(1)}s\n`,
        );
      }
    },
  });
}
