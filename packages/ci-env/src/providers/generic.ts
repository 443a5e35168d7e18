import type { CiFields, Env } from "../types.ts";

/** The fallback: matches any environment; fields come from `VERSIONER_*` overrides and local git. */
export function detect(_env: Env): boolean {
  return true;
}

/** Reads nothing CI-specific; `detectCi` fills what it can from git when allowed. */
export function read(_env: Env): CiFields {
  return { metadata: {} };
}
