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
  "api_keys.read",
  "audit.read",
  "badges.read",
  "incidents.manage",
  "metrics.read",
  "preflight.check",
  "deployment_requests.manage",
  "deployment_requests.approve",
  "integrations.manage",
] as const;
export type Capability = (typeof CAPABILITIES)[number];

export const API_KEY_SCOPES = ["ingest", "read", "admin", "badges"] as const;
export type ApiKeyScope = (typeof API_KEY_SCOPES)[number];

/** Approvals name the person who gave them (docs/governance.md): no API key holds these. */
const PEOPLE_ONLY: ReadonlySet<Capability> = new Set<Capability>([
  "versions.approve",
  "deployment_requests.approve",
]);

/**
 * `ingest` keys only send build and deployment events; `read` keys only read; `admin` keys do
 * everything but approve; `badges` keys only read status badges, the one key that may travel in a URL.
 */
export const SCOPE_CAPABILITIES: Readonly<Record<ApiKeyScope, ReadonlySet<Capability>>> = {
  // Alerting tools record incidents with the same kind of key CI uses for events.
  ingest: new Set<Capability>(["deployments.record", "incidents.manage", "preflight.check"]),
  // A read key is also what a Prometheus scraper is given (docs/operations.md).
  read: new Set<Capability>(["catalog.read", "badges.read", "metrics.read", "preflight.check"]),
  admin: new Set<Capability>(CAPABILITIES.filter((capability) => !PEOPLE_ONLY.has(capability))),
  badges: new Set<Capability>(["badges.read"]),
};

export const ROLES = [
  "admin",
  "release_manager",
  "product",
  "developer",
  "sre",
  "qa",
  "security",
  "compliance",
  "billing",
  "viewer",
] as const;
export type Role = (typeof ROLES)[number];

const ALL_ROLES: readonly Role[] = ROLES;

/** Which roles hold each capability: the permission matrix of SPEC.md, plus audit and key listing. */
export const CAPABILITY_ROLES: Readonly<Record<Capability, readonly Role[]>> = {
  "catalog.read": ALL_ROLES,
  "products.write": ["admin", "release_manager"],
  "environments.write": ["admin", "release_manager", "sre"],
  "releases.manage": ["admin", "release_manager", "product", "developer"],
  "deployments.record": ["admin", "release_manager", "developer", "sre"],
  "rules.manage": ["admin", "release_manager", "sre"],
  "variables.manage": ["admin", "release_manager", "sre"],
  "versions.approve": ["admin", "release_manager", "product", "sre", "qa", "security", "compliance"],
  "notifications.manage": ["admin", "sre"],
  "api_keys.manage": ["admin"],
  "tokens.create": [
    "admin",
    "release_manager",
    "product",
    "developer",
    "sre",
    "qa",
    "security",
    "compliance",
  ],
  "users.manage": ["admin"],
  // Developers may see which CI keys exist (never their secrets); only admins manage them.
  "api_keys.read": ["admin", "developer"],
  "audit.read": ["admin", "compliance", "security"],
  // A badge shows one cell of the matrix every role may read anyway.
  "badges.read": ALL_ROLES,
  // Whoever may put a change into production may say it broke something (docs/insight.md).
  "incidents.manage": ["admin", "release_manager", "developer", "sre"],
  // Operator metrics (GET /metrics): for those who run the collector.
  "metrics.read": ["admin", "sre"],
  // The dry run answers "may X go to E now?" for a pipeline (ingest key) or a person (any reader).
  "preflight.check": ALL_ROLES,
  "deployment_requests.manage": ["admin", "release_manager", "product", "developer"],
  // Every role some approval type maps to (governance/approval-types.ts); the slot's type is checked too.
  "deployment_requests.approve": [
    "admin",
    "release_manager",
    "product",
    "developer",
    "sre",
    "qa",
    "security",
    "compliance",
  ],
  // The matrix's "Manage integrations": an integration records deployments in the name of a platform.
  "integrations.manage": ["admin", "sre"],
};

export const ROLE_CAPABILITIES: Readonly<Record<Role, ReadonlySet<Capability>>> = Object.fromEntries(
  ROLES.map((role) => [role, new Set(CAPABILITIES.filter((cap) => CAPABILITY_ROLES[cap].includes(role)))]),
) as unknown as Record<Role, ReadonlySet<Capability>>;

/** Who is calling: resolved once per request by the auth middleware. */
export interface Principal {
  /** `anonymous`: a reader of public badges, the only thing served without a credential but health and docs. */
  kind: "api_key" | "user" | "system" | "anonymous";
  id: string;
  name: string;
  /** Set for API keys. */
  scope?: ApiKeyScope;
  /** Set for users (through a personal token or a session). */
  role?: Role;
  /** How a user authenticated: cookie sessions need a CSRF token on writes. */
  via?: "token" | "session";
  /** The session a cookie-authenticated request belongs to. */
  sessionId?: string;
  capabilities: ReadonlySet<Capability>;
}

/** The collector itself, as the actor of changes nobody requested (bootstrap). */
export const SYSTEM_PRINCIPAL: Principal = {
  kind: "system",
  id: "system",
  name: "system",
  capabilities: new Set<Capability>(CAPABILITIES),
};
