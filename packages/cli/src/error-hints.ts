import { AuthError, type VersionerError } from "@versioner/client";

/** What a command needs from its credential, for the hint of a 403. */
const NEEDS: Readonly<Record<"state" | "track" | "check", string>> = {
  state:
    "'versioner state' needs read access (the catalog.read permission): use an API key with the read or admin scope, or a personal token (pat_…); ingest keys only send events",
  check: "'versioner check' needs an API key with the ingest, read or admin scope, or a personal token",
  track:
    "recording events needs the deployments.record permission: use an API key with the ingest or admin scope, or a personal token of a role that records deployments",
};

/**
 * The next step for an error people fix on their side (a missing or wrong key, a key without the
 * scope the command needs), as a `hint: …` line; undefined for any other error.
 */
export function errorHint(
  error: VersionerError,
  command: "state" | "track" | "check",
  keyGiven: boolean,
): string | undefined {
  if (!(error instanceof AuthError)) return undefined;
  if (error.status === 401) {
    return keyGiven
      ? "hint: the collector did not accept the API key: check VERSIONER_API_KEY (or --api-key)\n"
      : "hint: this collector needs an API key: set VERSIONER_API_KEY (or pass --api-key)\n";
  }
  return error.status === 403 ? `hint: ${NEEDS[command]}\n` : undefined;
}
