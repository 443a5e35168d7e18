import type { Env } from "./types.ts";

/** The first of the named variables that is set to a non-blank value, trimmed. */
export function pick(env: Env, ...names: string[]): string | undefined {
  for (const name of names) {
    const value = env[name]?.trim();
    if (value) return value;
  }
  return undefined;
}

/** Builds a `vi_*` metadata object from `key → variable name`, keeping only non-blank values. */
export function metadataFrom(env: Env, keys: Readonly<Record<string, string>>): Record<string, string> {
  const metadata: Record<string, string> = {};
  for (const [key, name] of Object.entries(keys)) {
    const value = pick(env, name);
    if (value !== undefined) metadata[key] = value;
  }
  return metadata;
}

/** Drops `undefined` values so spreading one context over another never erases a field. */
export function definedOnly<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/** Strips the `refs/heads/` prefix; tags and other refs are returned unchanged. */
export function branchFromRef(ref: string | undefined): string | undefined {
  if (!ref) return undefined;
  return ref.startsWith("refs/heads/") ? ref.slice("refs/heads/".length) : ref;
}
