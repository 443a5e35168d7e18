/** Environment types in promotion order: dev → test → staging → production. */
export const ENVIRONMENT_TYPES = ["dev", "test", "staging", "production"] as const;
export type EnvironmentType = (typeof ENVIRONMENT_TYPES)[number];

// Checked in this order so that "preprod" is staging before "prod" can match it.
const PATTERNS: ReadonlyArray<[EnvironmentType, readonly string[]]> = [
  ["staging", ["staging", "stage", "uat", "preprod", "pre-prod", "pre_prod"]],
  ["production", ["production", "prod", "live"]],
  ["test", ["test", "qa", "integration"]],
  ["dev", ["dev", "develop", "development", "local", "sandbox"]],
];

/**
 * Infers an environment type from its name: an exact match first, then a whole word of the
 * name (`eu-prod`, `qa_2`, `staging-blue`). Unknown names are `dev`.
 */
export function inferEnvironmentType(name: string): EnvironmentType {
  const lower = name.trim().toLowerCase();
  for (const [type, words] of PATTERNS) if (words.includes(lower)) return type;
  const parts = lower.split(/[^a-z0-9]+/).filter(Boolean);
  for (const [type, words] of PATTERNS) if (parts.some((part) => words.includes(part))) return type;
  return "dev";
}

/** Position of a type in the promotion order (0 = dev). */
export function environmentTypeRank(type: EnvironmentType): number {
  return ENVIRONMENT_TYPES.indexOf(type);
}
