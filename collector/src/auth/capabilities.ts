/**
 * What a route may require. Each matches a row of the permission matrix in SPEC.md; roles
 * (a later step) and API key scopes both resolve to a set of these.
 */
export const CAPABILITIES = [
  "catalog.read",
  "products.write",
  "environments.write",
  "releases.manage",
  "deployments.record",
  "rules.manage",
  "variables.manage",
  "versions.approve",
  "notifications.manage",
  "api_keys.manage",
  "tokens.create",
  "users.manage",
] as const;
export type Capability = (typeof CAPABILITIES)[number];

export const API_KEY_SCOPES = ["ingest", "read", "admin"] as const;
export type ApiKeyScope = (typeof API_KEY_SCOPES)[number];

/** `ingest` keys only send build and deployment events; `read` keys only read; `admin` keys do everything. */
export const SCOPE_CAPABILITIES: Readonly<Record<ApiKeyScope, ReadonlySet<Capability>>> = {
  ingest: new Set<Capability>(["deployments.record"]),
  read: new Set<Capability>(["catalog.read"]),
  admin: new Set<Capability>(CAPABILITIES),
};

/** Who is calling: resolved once per request by the auth middleware. */
export interface Principal {
  kind: "api_key" | "user" | "system";
  id: string;
  name: string;
  /** Set for API keys. */
  scope?: ApiKeyScope;
  capabilities: ReadonlySet<Capability>;
}

/** The collector itself, as the actor of changes nobody requested (bootstrap). */
export const SYSTEM_PRINCIPAL: Principal = {
  kind: "system",
  id: "system",
  name: "system",
  capabilities: new Set<Capability>(CAPABILITIES),
};
