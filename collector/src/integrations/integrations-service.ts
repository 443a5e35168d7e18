import { randomBytes, randomUUID } from "node:crypto";
import { DeploymentEventInput, ERROR_CODES } from "@versioner/schema";
import { and, asc, desc, eq, notInArray } from "drizzle-orm";
import { type Actor, auditInsert } from "../audit/audit-service.ts";
import type { Clock } from "../clock.ts";
import type { Database } from "../db/client.ts";
import { integrationDeliveries, integrations } from "../db/schema/index.ts";
import {
  ConflictError,
  DomainError,
  ForbiddenError,
  NotFoundError,
  UnauthorizedError,
  ValidationError,
} from "../errors.ts";
import { type IngestDeps, ingestDeployment } from "../ingest/ingest-service.ts";
import { parseOrThrow, toErrorBody } from "../validation.ts";
import { argocd } from "./argocd.ts";
import { github } from "./github.ts";
import type { IntegrationKind, IntegrationMapping, Platform, WebhookRequest } from "./integration-kinds.ts";
import { vercel } from "./vercel.ts";

export const PLATFORMS: Readonly<Record<IntegrationKind, Platform>> = { vercel, github, argocd };

/** Deliveries kept per integration: enough to debug a set-up, bounded so a noisy sender cannot grow the table. */
export const MAX_KEPT_DELIVERIES = 100;

export const DELIVERY_OUTCOMES = ["recorded", "duplicate", "ignored", "rejected", "unauthorized"] as const;
export type DeliveryOutcome = (typeof DELIVERY_OUTCOMES)[number];

export interface IntegrationDeps {
  database: Database;
  clock: Clock;
  /** VERSIONER_PUBLIC_URL: with it, views carry the full URL to paste into the platform. */
  publicUrl?: string;
  ingest: IngestDeps;
}

export interface IntegrationInput {
  name?: string;
  kind?: IntegrationKind;
  enabled?: boolean;
  /** A secret the platform generated (Vercel shows its own); absent on create: one is generated. */
  secret?: string;
  mapping?: Partial<IntegrationMapping>;
}

export interface IntegrationView {
  id: string;
  name: string;
  kind: IntegrationKind;
  enabled: boolean;
  webhook_path: string;
  webhook_url: string | null;
  mapping: IntegrationMapping;
  created_at: string;
  updated_at: string;
}

export interface DeliveryView {
  id: string;
  delivery_id: string | null;
  event_type: string | null;
  outcome: DeliveryOutcome;
  status_code: number;
  detail: string | null;
  product_name: string | null;
  version: string | null;
  environment_name: string | null;
  deployment_status: string | null;
  received_at: string;
}

type IntegrationRow = typeof integrations.$inferSelect;

/** Where the platform must send its deliveries: Vercel's URL names the integration, the others' are shared. */
export function webhookPath(kind: IntegrationKind, pathToken: string): string {
  return kind === "vercel" ? `/integrations/vercel/${pathToken}` : `/integrations/${kind}`;
}

function view(deps: IntegrationDeps, row: IntegrationRow): IntegrationView {
  const kind = row.kind as IntegrationKind;
  const path = webhookPath(kind, row.path_token);
  return {
    id: row.id,
    name: row.name,
    kind,
    enabled: row.enabled,
    webhook_path: path,
    webhook_url: deps.publicUrl ? `${deps.publicUrl.replace(/\/+$/, "")}${path}` : null,
    mapping: normaliseMapping(row.mapping),
    created_at: row.created_at,
    updated_at: row.updated_at,
  };
}

function normaliseMapping(stored: Partial<IntegrationMapping> | Record<string, unknown>): IntegrationMapping {
  const value = stored as Partial<IntegrationMapping>;
  return {
    products: { ...value.products },
    environments: { ...value.environments },
    ...(value.version_from ? { version_from: value.version_from } : {}),
  };
}

function checkMapping(kind: IntegrationKind, mapping: IntegrationMapping): IntegrationMapping {
  const source = mapping.version_from;
  if (source !== undefined && !PLATFORMS[kind].versionSource.pattern.test(source)) {
    throw ValidationError.field(
      ["body", "mapping", "version_from"],
      `${kind} integrations take ${PLATFORMS[kind].versionSource.help}`,
    );
  }
  return mapping;
}

function newSecret(): string {
  return `vsec_${randomBytes(32).toString("base64url")}`;
}

async function findRow(deps: IntegrationDeps, id: string): Promise<IntegrationRow> {
  const [row] = await deps.database.db.select().from(integrations).where(eq(integrations.id, id));
  if (!row) throw new NotFoundError(`Integration '${id}'`);
  return row;
}

async function assertNameFree(deps: IntegrationDeps, name: string): Promise<void> {
  const [taken] = await deps.database.db
    .select({ id: integrations.id })
    .from(integrations)
    .where(eq(integrations.name, name));
  if (taken) throw new ConflictError(ERROR_CODES.NAME_TAKEN, `An integration named '${name}' already exists`);
}

export async function listIntegrations(deps: IntegrationDeps): Promise<IntegrationView[]> {
  const rows = await deps.database.db.select().from(integrations).orderBy(asc(integrations.name));
  return rows.map((row) => view(deps, row));
}

export async function getIntegration(deps: IntegrationDeps, id: string): Promise<IntegrationView> {
  return view(deps, await findRow(deps, id));
}

/** Creates an integration; the secret is returned this once (a generated one), never again. */
export async function createIntegration(
  deps: IntegrationDeps,
  actor: Actor,
  input: IntegrationInput & { name: string; kind: IntegrationKind },
): Promise<IntegrationView & { secret: string }> {
  const mapping = checkMapping(input.kind, normaliseMapping(input.mapping ?? {}));
  const secret = input.secret ?? newSecret();
  return deps.database.writeLock.run(async () => {
    await assertNameFree(deps, input.name);
    const now = deps.clock.now().toISOString();
    const row: IntegrationRow = {
      id: randomUUID(),
      name: input.name,
      kind: input.kind,
      enabled: input.enabled ?? true,
      path_token: randomBytes(18).toString("base64url"),
      secret: deps.database.secrets.seal(secret),
      mapping: mapping as unknown as Record<string, unknown>,
      created_at: now,
      updated_at: now,
    };
    const result = view(deps, row);
    const db = deps.database.db;
    await db.batch([
      db.insert(integrations).values(row),
      auditInsert(
        db,
        actor,
        {
          action: "integration.create",
          target_type: "integration",
          target_id: row.id,
          target_name: row.name,
          after: auditView(result),
        },
        now,
      ),
    ]);
    return { ...result, secret };
  });
}

/** What the audit log keeps of an integration: never the secret, nor the URL token that routes to it. */
function auditView(integration: IntegrationView): Record<string, unknown> {
  const { webhook_path: _path, webhook_url: _url, ...rest } = integration;
  return rest;
}

/** Partial update: omitted fields keep their value; `secret` replaces the stored one (write-only). */
export async function updateIntegration(
  deps: IntegrationDeps,
  actor: Actor,
  id: string,
  input: IntegrationInput,
): Promise<IntegrationView> {
  return changeIntegration(deps, actor, id, "integration.update", (row) => {
    const kind = row.kind as IntegrationKind;
    if (input.kind !== undefined && input.kind !== kind) {
      throw ValidationError.field(["body", "kind"], "cannot be changed; create a new integration instead");
    }
    const current = normaliseMapping(row.mapping);
    const mapping = input.mapping
      ? checkMapping(kind, normaliseMapping({ ...current, ...input.mapping }))
      : current;
    return {
      name: input.name ?? row.name,
      enabled: input.enabled ?? row.enabled,
      mapping: mapping as unknown as Record<string, unknown>,
      ...(input.secret !== undefined ? { secret: deps.database.secrets.seal(input.secret) } : {}),
    };
  }).then(({ view }) => view);
}

/** Replaces the secret with a generated one, returned this once. */
export async function rotateSecret(
  deps: IntegrationDeps,
  actor: Actor,
  id: string,
): Promise<IntegrationView & { secret: string }> {
  const secret = newSecret();
  const { view } = await changeIntegration(deps, actor, id, "integration.rotate_secret", () => ({
    secret: deps.database.secrets.seal(secret),
  }));
  return { ...view, secret };
}

async function changeIntegration(
  deps: IntegrationDeps,
  actor: Actor,
  id: string,
  action: string,
  change: (row: IntegrationRow) => Partial<IntegrationRow>,
): Promise<{ view: IntegrationView }> {
  return deps.database.writeLock.run(async () => {
    const row = await findRow(deps, id);
    const patch = change(row);
    if (patch.name !== undefined && patch.name !== row.name) await assertNameFree(deps, patch.name);
    const now = deps.clock.now().toISOString();
    const next: IntegrationRow = { ...row, ...patch, updated_at: now };
    const result = view(deps, next);
    const db = deps.database.db;
    await db.batch([
      db.update(integrations).set(next).where(eq(integrations.id, id)),
      auditInsert(
        db,
        actor,
        {
          action,
          target_type: "integration",
          target_id: id,
          target_name: next.name,
          before: auditView(view(deps, row)),
          after: { ...auditView(result), secret_changed: patch.secret !== undefined },
        },
        now,
      ),
    ]);
    return { view: result };
  });
}

/** Deletes an integration and its delivery log; what it recorded stays, as history. */
export async function deleteIntegration(deps: IntegrationDeps, actor: Actor, id: string): Promise<void> {
  await deps.database.writeLock.run(async () => {
    const row = await findRow(deps, id);
    const now = deps.clock.now().toISOString();
    const db = deps.database.db;
    await db.batch([
      db.delete(integrations).where(eq(integrations.id, id)),
      auditInsert(
        db,
        actor,
        {
          action: "integration.delete",
          target_type: "integration",
          target_id: id,
          target_name: row.name,
          before: auditView(view(deps, row)),
        },
        now,
      ),
    ]);
  });
}

/** The last deliveries an integration received, newest first. */
export async function listIntegrationDeliveries(
  deps: IntegrationDeps,
  id: string,
  limit = 50,
): Promise<DeliveryView[]> {
  await findRow(deps, id);
  const rows = await deps.database.db
    .select()
    .from(integrationDeliveries)
    .where(eq(integrationDeliveries.integration_id, id))
    .orderBy(desc(integrationDeliveries.received_at), desc(integrationDeliveries.id))
    .limit(Math.min(Math.max(limit, 1), MAX_KEPT_DELIVERIES));
  return rows.map(({ integration_id: _id, ...row }) => ({ ...row, outcome: row.outcome as DeliveryOutcome }));
}

/** What the webhook answers the platform. */
export interface WebhookReply {
  status: 200 | 202;
  body: Record<string, unknown>;
}

/**
 * Authenticates a delivery against the integrations of its kind (Vercel's by the URL token), maps
 * it and records it through ingest, with the platform's delivery id as the idempotency key, so a
 * redelivery records nothing new. Every authenticated delivery, and an unauthenticated one to a
 * known Vercel URL, is logged with its outcome; an error is thrown as the API's error contract.
 */
export async function receiveWebhook(
  deps: IntegrationDeps,
  kind: IntegrationKind,
  request: WebhookRequest,
  pathToken?: string,
): Promise<WebhookReply> {
  const platform = PLATFORMS[kind];
  const candidates = await deps.database.db
    .select()
    .from(integrations)
    .where(
      pathToken === undefined
        ? eq(integrations.kind, kind)
        : and(eq(integrations.kind, kind), eq(integrations.path_token, pathToken)),
    );
  if (pathToken !== undefined && candidates.length === 0) throw new NotFoundError("Integration");
  // Every candidate is tried, so the time taken does not tell which secret came closest.
  const matches = candidates.filter((row) =>
    platform.authenticate(request, deps.database.secrets.open(row.secret)),
  );
  const integration = matches[0];
  if (!integration) {
    const known = pathToken === undefined ? undefined : candidates[0];
    if (known)
      await logDelivery(deps, known.id, {
        outcome: "unauthorized",
        status_code: 401,
        detail: signatureHelp(kind),
      });
    throw new UnauthorizedError(signatureHelp(kind));
  }
  if (!integration.enabled) {
    const error = new ForbiddenError(`The integration '${integration.name}' is disabled`);
    await logDelivery(deps, integration.id, {
      outcome: "rejected",
      status_code: 403,
      detail: String(error.detail),
    });
    throw error;
  }
  try {
    return await record(deps, integration, platform, request);
  } catch (error) {
    if (!(error instanceof DomainError)) throw error;
    await logDelivery(deps, integration.id, {
      outcome: "rejected",
      status_code: error.status,
      detail: describe(error),
    });
    throw error;
  }
}

function signatureHelp(kind: IntegrationKind): string {
  switch (kind) {
    case "vercel":
      return "The x-vercel-signature header is missing or does not match this integration's secret";
    case "github":
      return "The X-Hub-Signature-256 header is missing or matches no GitHub integration's secret";
    case "argocd":
      return "The Authorization: Bearer header is missing or matches no Argo CD integration's secret";
  }
}

async function record(
  deps: IntegrationDeps,
  integration: IntegrationRow,
  platform: Platform,
  request: WebhookRequest,
): Promise<WebhookReply> {
  const meaning = platform.interpret(request, normaliseMapping(integration.mapping));
  const base = { integration: integration.name, delivery_id: meaning.deliveryId ?? null };
  if (meaning.kind === "ignored") {
    await logDelivery(deps, integration.id, {
      outcome: "ignored",
      status_code: 202,
      delivery_id: meaning.deliveryId,
      event_type: meaning.eventType,
      detail: meaning.reason,
    });
    return { status: 202, body: { ...base, outcome: "ignored", reason: meaning.reason } };
  }
  const event = parseOrThrow(DeploymentEventInput, meaning.event, ["body"]);
  const idempotencyKey = `integration:${integration.id}:${meaning.deliveryId}`.slice(0, 255);
  const result = await ingestDeployment(
    deps.ingest,
    event,
    meaning.event as Record<string, unknown>,
    idempotencyKey,
  );
  const outcome: DeliveryOutcome = result.replayed ? "duplicate" : "recorded";
  await logDelivery(deps, integration.id, {
    outcome,
    status_code: 200,
    delivery_id: meaning.deliveryId,
    event_type: meaning.eventType,
    product_name: event.product_name,
    version: event.version,
    environment_name: event.environment_name,
    deployment_status: event.status,
    detail: result.replayed ? "Already received: nothing new recorded" : null,
  });
  return { status: 200, body: { ...base, outcome, deployment: result.body } };
}

function describe(error: DomainError): string {
  const body = toErrorBody(error);
  const detail = typeof body.detail === "string" ? body.detail : JSON.stringify(body.detail);
  return `${body.code}: ${detail}`.slice(0, 2000);
}

type DeliveryFacts = Partial<
  Omit<typeof integrationDeliveries.$inferInsert, "id" | "integration_id" | "received_at">
> &
  Pick<typeof integrationDeliveries.$inferInsert, "outcome" | "status_code">;

/** Appends to an integration's delivery log and drops what falls beyond the last MAX_KEPT_DELIVERIES. */
async function logDelivery(
  deps: IntegrationDeps,
  integrationId: string,
  facts: DeliveryFacts,
): Promise<void> {
  await deps.database.writeLock.run(async () => {
    const db = deps.database.db;
    const kept = db
      .select({ id: integrationDeliveries.id })
      .from(integrationDeliveries)
      .where(eq(integrationDeliveries.integration_id, integrationId))
      .orderBy(desc(integrationDeliveries.received_at), desc(integrationDeliveries.id))
      .limit(MAX_KEPT_DELIVERIES);
    await db.batch([
      db.insert(integrationDeliveries).values({
        id: randomUUID(),
        integration_id: integrationId,
        received_at: deps.clock.now().toISOString(),
        ...facts,
        delivery_id: facts.delivery_id?.slice(0, 255) ?? null,
        event_type: facts.event_type?.slice(0, 255) ?? null,
      }),
      db
        .delete(integrationDeliveries)
        .where(
          and(
            eq(integrationDeliveries.integration_id, integrationId),
            notInArray(integrationDeliveries.id, kept),
          ),
        ),
    ]);
  });
}
