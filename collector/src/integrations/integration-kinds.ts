import type { DeploymentEventInput } from "@versioner/schema";

export const INTEGRATION_KINDS = ["vercel", "github", "argocd"] as const;
export type IntegrationKind = (typeof INTEGRATION_KINDS)[number];

/**
 * How a platform's names become Versioner's: product and environment renames (a name without an
 * entry is kept as the platform says it) and, where a platform offers two, where the version comes from.
 */
export interface IntegrationMapping {
  products: Record<string, string>;
  environments: Record<string, string>;
  version_from?: string;
}

/** The raw request a platform sent: the signature covers the body exactly as received. */
export interface WebhookRequest {
  headers: Headers;
  body: string;
}

/** What a verified delivery means. */
export type Interpretation =
  | { kind: "deployment"; deliveryId: string; eventType: string; event: DeploymentEventInput }
  | { kind: "ignored"; deliveryId: string | undefined; eventType: string | undefined; reason: string };

/** One platform: how it proves a delivery comes from it, and what the delivery says. */
export interface Platform {
  kind: IntegrationKind;
  /** Which values `mapping.version_from` may take, and how to say so in a 422; absent means the default. */
  versionSource: { pattern: RegExp; help: string };
  /** True when the request carries a valid credential for this secret (compared in constant time). */
  authenticate(request: WebhookRequest, secret: string): boolean;
  /** Reads a verified delivery; throws ValidationError for a body that is not what the platform sends. */
  interpret(request: WebhookRequest, mapping: IntegrationMapping): Interpretation;
}

/** The name a mapping gives `key` (the first of `keys` with an entry), else `fallback`. */
export function mapped(
  table: Record<string, string>,
  keys: Array<string | undefined>,
  fallback: string,
): string {
  for (const key of keys) {
    if (key !== undefined && Object.hasOwn(table, key)) return table[key] as string;
  }
  return fallback;
}
