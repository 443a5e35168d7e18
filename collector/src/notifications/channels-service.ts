import { randomUUID } from "node:crypto";
import { ERROR_CODES, normalizeStatus } from "@versioner/schema";
import { asc, eq, inArray } from "drizzle-orm";
import { type Actor, auditInsert } from "../audit/audit-service.ts";
import type { Clock } from "../clock.ts";
import type { Config } from "../config.ts";
import type { DatabaseRuntime } from "../database-runtime.ts";
import type { Database } from "../db/client.ts";
import { bumpConfigGeneration } from "../db/config-generation.ts";
import {
  notificationAttempts,
  notificationChannels,
  notificationDeliveries,
  notificationSubscriptions,
} from "../db/schema/index.ts";
import { ConflictError, NotFoundError, ValidationError } from "../errors.ts";
import type { Logger } from "../logger.ts";
import {
  type CdeventsSettings,
  type CdeventsSettingsInput,
  cdeventsSubscriptions,
  validateCdeventsSettings,
} from "./cdevents-channel.ts";
import { type ChannelRow, type SubscriptionRow, subscriptionsByChannel } from "./channel-directory.ts";
import { ChannelSender, sendable } from "./channel-sender.ts";
import { assertPublicHost, checkOutboundUrl, OutboundRefusedError } from "./outbound-guard.ts";
import { buildPayload, NOTIFICATION_EVENT_TYPES } from "./payload.ts";

export const CHANNEL_KINDS = ["slack", "teams", "webhook", "email", "cdevents"] as const;
export type ChannelKind = (typeof CHANNEL_KINDS)[number];

export interface NotificationDeps {
  database: Database;
  runtime: Pick<DatabaseRuntime, "hub">;
  clock: Clock;
  config: Config;
  logger: Logger;
}

export interface SubscriptionInput {
  event_types: string[];
  products?: string[];
  environments?: string[];
  environment_types?: string[];
  statuses?: string[];
}

export interface ChannelInput {
  name?: string;
  kind?: ChannelKind;
  enabled?: boolean;
  url?: string;
  secret?: string | null;
  headers?: Record<string, string> | null;
  recipients?: string[];
  /** cdevents channels: spec version and event source. */
  cdevents?: CdeventsSettingsInput;
  subscriptions?: SubscriptionInput[];
}

/** A channel as responses show it: URLs, secrets and header values never leave the collector. */
export interface ChannelView {
  id: string;
  name: string;
  kind: ChannelKind;
  enabled: boolean;
  url_hint: string | null;
  secret_set: boolean;
  header_names: string[];
  recipients: string[];
  cdevents: CdeventsSettings | null;
  subscriptions: Array<Required<SubscriptionInput>>;
  created_at: string;
  updated_at: string;
}

interface Settings {
  recipients?: string[];
  cdevents?: CdeventsSettings;
}
interface Secrets {
  url?: string;
  secret?: string;
  headers?: Record<string, string>;
}

// Headers a channel may not set: the transport's own and the signature contract's.
const RESERVED_HEADER =
  /^(host|content-length|content-type|transfer-encoding|connection|user-agent|x-versioner-.*)$/i;
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
// RFC 9110 field-value: visible characters, spaces and tabs; no CR/LF (header injection) or NUL.
const HEADER_VALUE = /^[\t\x20-\x7e\x80-\xff]*$/;
const MAX_HEADERS = 20;
const MAX_HEADER_VALUE_LENGTH = 4096;
const EMAIL = /^[^\s@<>,;]+@[^\s@<>,;]+\.[^\s@<>,;]+$/;

/** `https://hooks.slack.com/…`: enough to recognise a URL, never its token-bearing path. */
function urlHint(url: string | undefined): string | null {
  if (!url) return null;
  try {
    const parsed = new URL(url);
    return `${parsed.protocol}//${parsed.host}/…`;
  } catch {
    return "…";
  }
}

function view(row: ChannelRow, subscriptions: SubscriptionRow[]): ChannelView {
  const settings = row.settings as Settings;
  const secrets = row.secrets as Secrets;
  return {
    id: row.id,
    name: row.name,
    kind: row.kind as ChannelKind,
    enabled: row.enabled,
    url_hint: urlHint(secrets.url),
    secret_set: Boolean(secrets.secret),
    header_names: Object.keys(secrets.headers ?? {}),
    recipients: settings.recipients ?? [],
    cdevents: settings.cdevents ?? null,
    subscriptions: subscriptions.map((s) => ({
      event_types: s.event_types,
      products: s.products,
      environments: s.environments,
      environment_types: s.environment_types,
      statuses: s.statuses,
    })),
    created_at: row.created_at,
    updated_at: row.updated_at,
  };
}

/** What the audit log may hold about a channel: no URL, secret or header value. */
function auditView(channel: ChannelView): Record<string, unknown> {
  const { url_hint: _hint, ...rest } = channel;
  return rest;
}

// Secrets are sealed at rest: rows are opened as they are read and sealed as they are written,
// so everything in between (views, edits, the test send) sees them in clear.
function opened(deps: NotificationDeps, row: ChannelRow): ChannelRow {
  return { ...row, secrets: deps.database.secrets.openJson(row.secrets) };
}

function sealed(deps: NotificationDeps, row: ChannelRow): ChannelRow {
  return { ...row, secrets: deps.database.secrets.sealJson(row.secrets as Record<string, unknown>) };
}

export async function listChannels(deps: NotificationDeps): Promise<ChannelView[]> {
  const db = deps.database.db;
  const rows = (await db.select().from(notificationChannels).orderBy(asc(notificationChannels.name))).map(
    (row) => opened(deps, row),
  );
  const subs = await db
    .select()
    .from(notificationSubscriptions)
    .orderBy(asc(notificationSubscriptions.position));
  const byChannel = subscriptionsByChannel(subs);
  return rows.map((row) => view(row, byChannel.get(row.id) ?? []));
}

export async function findChannel(
  deps: NotificationDeps,
  id: string,
): Promise<{ row: ChannelRow; view: ChannelView }> {
  const db = deps.database.db;
  const [stored] = await db
    .select()
    .from(notificationChannels)
    .where(eq(notificationChannels.id, id))
    .limit(1);
  if (!stored) throw new NotFoundError(`Notification channel '${id}'`);
  const row = opened(deps, stored);
  const subs = await db
    .select()
    .from(notificationSubscriptions)
    .where(eq(notificationSubscriptions.channel_id, id))
    .orderBy(asc(notificationSubscriptions.position));
  return { row, view: view(row, subs) };
}

export async function createChannel(
  deps: NotificationDeps,
  actor: Actor,
  input: ChannelInput & { name: string; kind: ChannelKind },
): Promise<ChannelView> {
  const { settings, secrets } = await validateTarget(deps, input.kind, input, {});
  const subscriptions = forKind(input.kind, normaliseSubscriptions(input.subscriptions ?? []));
  return deps.database.writeLock.run(async () => {
    await assertNameFree(deps, input.name);
    const now = deps.clock.now().toISOString();
    const row: ChannelRow = {
      id: randomUUID(),
      name: input.name,
      kind: input.kind,
      enabled: input.enabled ?? true,
      settings: settings as Record<string, unknown>,
      secrets: secrets as Record<string, unknown>,
      created_at: now,
      updated_at: now,
    };
    const subRows = subscriptionRows(row.id, subscriptions);
    const result = view(row, subRows);
    const db = deps.database.db;
    await db.batch([
      bumpConfigGeneration(db),
      db.insert(notificationChannels).values(sealed(deps, row)),
      ...subRows.map((sub) => db.insert(notificationSubscriptions).values(sub)),
      auditInsert(
        db,
        actor,
        {
          action: "notification_channel.create",
          target_type: "notification_channel",
          target_id: row.id,
          target_name: row.name,
          after: auditView(result),
        },
        now,
      ),
    ]);
    deps.database.configCache.invalidate();
    return result;
  });
}

/** Partial update: omitted fields keep their value; `secret: null` / `headers: null` clear them. */
export async function updateChannel(
  deps: NotificationDeps,
  actor: Actor,
  id: string,
  input: ChannelInput,
): Promise<ChannelView> {
  const current = await findChannel(deps, id);
  const kind = current.row.kind as ChannelKind;
  if (input.kind !== undefined && input.kind !== kind) {
    throw ValidationError.field(["body", "kind"], "cannot be changed; create a new channel instead");
  }
  const { settings, secrets } = await validateTarget(deps, kind, input, {
    settings: current.row.settings as Settings,
    secrets: current.row.secrets as Secrets,
  });
  const subscriptions = input.subscriptions
    ? forKind(kind, normaliseSubscriptions(input.subscriptions))
    : undefined;
  return deps.database.writeLock.run(async () => {
    if (input.name !== undefined && input.name !== current.row.name) await assertNameFree(deps, input.name);
    const now = deps.clock.now().toISOString();
    const next: ChannelRow = {
      ...current.row,
      name: input.name ?? current.row.name,
      enabled: input.enabled ?? current.row.enabled,
      settings: settings as Record<string, unknown>,
      secrets: secrets as Record<string, unknown>,
      updated_at: now,
    };
    const subRows = subscriptions && subscriptionRows(id, subscriptions);
    const result = subRows
      ? view(next, subRows)
      : { ...view(next, []), subscriptions: current.view.subscriptions };
    const db = deps.database.db;
    await db.batch([
      bumpConfigGeneration(db),
      db.update(notificationChannels).set(sealed(deps, next)).where(eq(notificationChannels.id, id)),
      ...(subRows
        ? [
            db.delete(notificationSubscriptions).where(eq(notificationSubscriptions.channel_id, id)),
            ...subRows.map((sub) => db.insert(notificationSubscriptions).values(sub)),
          ]
        : []),
      auditInsert(
        db,
        actor,
        {
          action: "notification_channel.update",
          target_type: "notification_channel",
          target_id: id,
          target_name: next.name,
          before: auditView(current.view),
          after: {
            ...auditView(result),
            url_changed: input.url !== undefined,
            secret_changed: input.secret !== undefined,
            headers_changed: input.headers !== undefined,
          },
        },
        now,
      ),
    ]);
    deps.database.configCache.invalidate();
    return result;
  });
}

/** Deletes a channel with its subscriptions and its delivery history. */
export async function deleteChannel(deps: NotificationDeps, actor: Actor, id: string): Promise<void> {
  const current = await findChannel(deps, id);
  await deps.database.writeLock.run(async () => {
    const db = deps.database.db;
    const now = deps.clock.now().toISOString();
    // Foreign keys are documentation only (see architecture.md): cascade by hand, children first.
    await db.batch([
      bumpConfigGeneration(db),
      db
        .delete(notificationAttempts)
        .where(
          inArray(
            notificationAttempts.delivery_id,
            db
              .select({ id: notificationDeliveries.id })
              .from(notificationDeliveries)
              .where(eq(notificationDeliveries.channel_id, id)),
          ),
        ),
      db.delete(notificationDeliveries).where(eq(notificationDeliveries.channel_id, id)),
      db.delete(notificationSubscriptions).where(eq(notificationSubscriptions.channel_id, id)),
      db.delete(notificationChannels).where(eq(notificationChannels.id, id)),
      auditInsert(
        db,
        actor,
        {
          action: "notification_channel.delete",
          target_type: "notification_channel",
          target_id: id,
          target_name: current.row.name,
          before: auditView(current.view),
        },
        now,
      ),
    ]);
    deps.database.configCache.invalidate();
  });
}

export interface TestOutcome {
  ok: boolean;
  response_code: number | null;
  error: string | null;
  duration_ms: number;
  response_excerpt: string | null;
}

/** Sends a sample deployment message now and reports what the endpoint answered. */
export async function testChannel(deps: NotificationDeps, id: string): Promise<TestOutcome> {
  const { row } = await findChannel(deps, id);
  const now = deps.clock.now();
  const sample = buildPayload(
    {
      type: "deployment.completed",
      occurred_at: now.toISOString(),
      product_name: "versioner-test",
      environment_name: "production",
      environment_type: "production",
      status: "completed",
      data: {
        version: { version: "1.0.0", scm_sha: "0123456789abcdef0123456789abcdef01234567" },
        deployment: { deployed_by: "versioner", completed_at: now.toISOString() },
      },
    },
    { eventId: randomUUID() },
  );
  const sender = new ChannelSender(deps.config.notifications);
  const started = performance.now();
  try {
    const outcome = await sender.send(
      sendable(row, deps.database.secrets),
      { id: `test-${randomUUID()}`, payload: sample },
      now,
    );
    return {
      ok: outcome.ok,
      response_code: outcome.response_code,
      error: outcome.error,
      duration_ms: Math.round(performance.now() - started),
      response_excerpt: outcome.response_excerpt,
    };
  } finally {
    sender.close();
  }
}

async function validateTarget(
  deps: NotificationDeps,
  kind: ChannelKind,
  input: ChannelInput,
  current: { settings?: Settings; secrets?: Secrets },
): Promise<{ settings: Settings; secrets: Secrets }> {
  const settings: Settings = { ...current.settings };
  const secrets: Secrets = { ...current.secrets };
  const allowPrivate = deps.config.notifications.allowPrivateAddresses;
  if (kind === "email") {
    for (const field of ["url", "secret", "headers"] as const) {
      if (input[field] !== undefined && input[field] !== null) {
        throw ValidationError.field(["body", field], "is not used by email channels");
      }
    }
    if (!deps.config.notifications.smtpUrl) {
      throw ValidationError.field(
        ["body", "kind"],
        "email channels need the collector's SMTP_URL to be configured",
      );
    }
    if (input.recipients !== undefined) {
      const bad = input.recipients.findIndex((address) => !EMAIL.test(address));
      if (bad >= 0) throw ValidationError.field(["body", "recipients", bad], "is not an email address");
      settings.recipients = [...new Set(input.recipients)];
    }
    if (!settings.recipients?.length)
      throw ValidationError.field(["body", "recipients"], "at least one address is required");
    return { settings, secrets };
  }
  if (input.recipients !== undefined)
    throw ValidationError.field(["body", "recipients"], `is not used by ${kind} channels`);
  if (kind === "cdevents")
    settings.cdevents = validateCdeventsSettings(input.cdevents, current.settings?.cdevents);
  else if (input.cdevents !== undefined)
    throw ValidationError.field(["body", "cdevents"], "is only used by cdevents channels");
  // A CloudEvents sink may need an Authorization header; only webhooks sign with a secret.
  const fields =
    kind === "webhook" ? [] : kind === "cdevents" ? (["secret"] as const) : (["secret", "headers"] as const);
  for (const field of fields) {
    if (input[field] !== undefined && input[field] !== null) {
      throw ValidationError.field(["body", field], `is not used by ${kind} channels`);
    }
  }
  if (input.url !== undefined) {
    try {
      const url = checkOutboundUrl(input.url, allowPrivate);
      if (!allowPrivate) await assertPublicHost(url);
    } catch (error) {
      if (error instanceof OutboundRefusedError) {
        throw new ValidationError([
          { loc: ["body", "url"], msg: `URL ${error.message}`, type: "url_refused" },
        ]);
      }
      throw error;
    }
    secrets.url = input.url;
  }
  if (!secrets.url) throw ValidationError.field(["body", "url"], "Field required", "missing");
  if (input.secret !== undefined) {
    if (input.secret === null || input.secret === "") delete secrets.secret;
    else secrets.secret = input.secret;
  }
  if (input.headers !== undefined) {
    if (input.headers === null) delete secrets.headers;
    else {
      const entries = Object.entries(input.headers);
      if (entries.length > MAX_HEADERS) {
        throw ValidationError.field(["body", "headers"], `at most ${MAX_HEADERS} headers`);
      }
      for (const [name, value] of entries) {
        if (!HEADER_NAME.test(name) || RESERVED_HEADER.test(name)) {
          throw ValidationError.field(["body", "headers", name], "is not a header name a channel may set");
        }
        if (!HEADER_VALUE.test(value) || value.length > MAX_HEADER_VALUE_LENGTH) {
          throw ValidationError.field(
            ["body", "headers", name],
            `value must be at most ${MAX_HEADER_VALUE_LENGTH} visible characters, spaces or tabs (no line breaks or control characters)`,
          );
        }
      }
      secrets.headers = input.headers;
    }
  }
  return { settings, secrets };
}

const EVENT_TYPE_PATTERNS = new Set<string>([
  "*",
  ...NOTIFICATION_EVENT_TYPES,
  ...new Set(NOTIFICATION_EVENT_TYPES.map((type) => `${type.split(".")[0]}.*`)),
]);

function normaliseSubscriptions(input: SubscriptionInput[]): Array<Required<SubscriptionInput>> {
  return input.map((sub, index) => {
    const unknown = sub.event_types.find((type) => !EVENT_TYPE_PATTERNS.has(type));
    if (unknown !== undefined) {
      throw ValidationError.field(
        ["body", "subscriptions", index, "event_types"],
        `Unknown event type '${unknown}' (one of ${NOTIFICATION_EVENT_TYPES.join(", ")}, '<kind>.*' or '*')`,
      );
    }
    return {
      event_types: [...new Set(sub.event_types)],
      products: sub.products ?? [],
      environments: sub.environments ?? [],
      environment_types: sub.environment_types ?? [],
      // Build and deployment statuses accept the ingest aliases (`success` → `completed`).
      statuses: (sub.statuses ?? []).map((status) => normalizeStatus(status) ?? status.trim().toLowerCase()),
    };
  });
}

/** Kind-specific subscription rules: a cdevents channel sends completed deployments only. */
function forKind(
  kind: ChannelKind,
  subscriptions: Array<Required<SubscriptionInput>>,
): Array<Required<SubscriptionInput>> {
  if (kind !== "cdevents") return subscriptions;
  return cdeventsSubscriptions(subscriptions, () => ({
    event_types: ["deployment.completed"],
    products: [],
    environments: [],
    environment_types: [],
    statuses: [],
  }));
}

function subscriptionRows(channelId: string, subs: Array<Required<SubscriptionInput>>): SubscriptionRow[] {
  return subs.map((sub, position) => ({ id: randomUUID(), channel_id: channelId, position, ...sub }));
}

async function assertNameFree(deps: NotificationDeps, name: string): Promise<void> {
  const [taken] = await deps.database.db
    .select({ id: notificationChannels.id })
    .from(notificationChannels)
    .where(eq(notificationChannels.name, name))
    .limit(1);
  if (taken)
    throw new ConflictError(ERROR_CODES.NAME_TAKEN, `A notification channel named '${name}' already exists`);
}
