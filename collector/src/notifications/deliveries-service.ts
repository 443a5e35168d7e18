import { randomUUID } from "node:crypto";
import { and, asc, desc, eq, type SQL, sql } from "drizzle-orm";
import { type Actor, auditInsert } from "../audit/audit-service.ts";
import { afterCursor, toPage } from "../db/pagination.ts";
import { notificationAttempts, notificationDeliveries } from "../db/schema/index.ts";
import { NotFoundError } from "../errors.ts";
import type { NotificationDeps } from "./channels-service.ts";

type DeliveryRow = typeof notificationDeliveries.$inferSelect;
type AttemptRow = typeof notificationAttempts.$inferSelect;

export const DELIVERY_STATUSES = ["pending", "delivered", "failed", "cancelled"] as const;
export type DeliveryStatus = (typeof DELIVERY_STATUSES)[number];

export interface DeliveryView {
  id: string;
  channel_id: string;
  event_id: string;
  event_type: string;
  status: DeliveryStatus;
  attempts: number;
  next_attempt_at: string | null;
  last_error: string | null;
  last_response_code: number | null;
  replay_of: string | null;
  created_at: string;
  updated_at: string;
  delivered_at: string | null;
}

export type AttemptView = Omit<AttemptRow, "delivery_id"> & { outcome: "delivered" | "retry" | "failed" };

function view(row: DeliveryRow): DeliveryView {
  const { payload: _payload, lease_owner: _owner, lease_until: _until, ...rest } = row;
  return { ...rest, status: rest.status as DeliveryStatus };
}

/** A delivery due now and never attempted: what the outbox writer queues and a replay queues again. */
export function pendingDelivery(
  fields: Pick<DeliveryRow, "channel_id" | "event_id" | "event_type" | "payload" | "replay_of">,
  now: string,
): DeliveryRow {
  return {
    id: randomUUID(),
    ...fields,
    status: "pending",
    attempts: 0,
    next_attempt_at: now,
    lease_owner: null,
    lease_until: null,
    last_error: null,
    last_response_code: null,
    created_at: now,
    updated_at: now,
    delivered_at: null,
  };
}

/** Deliveries waiting in the outbox, and those due now: one count over the (status, next_attempt_at) index. */
export async function outboxDepth(deps: Pick<NotificationDeps, "database" | "clock">) {
  const d = notificationDeliveries;
  const now = deps.clock.now().toISOString();
  const [row] = await deps.database.db
    .select({
      pending: sql<number>`count(*)`,
      due: sql<number | null>`sum(${d.next_attempt_at} <= ${now})`,
    })
    .from(d)
    .where(eq(d.status, "pending"));
  return { pending: Number(row?.pending ?? 0), due: Number(row?.due ?? 0) };
}

export interface DeliveryQuery {
  channel?: string;
  status?: string;
  event_type?: string;
  limit: number;
  cursor?: string;
}

/** Newest first, filtered by channel id, status and event type. */
export async function listDeliveries(deps: NotificationDeps, query: DeliveryQuery) {
  const d = notificationDeliveries;
  const where: SQL[] = [];
  if (query.channel) where.push(eq(d.channel_id, query.channel));
  if (query.status) where.push(eq(d.status, query.status));
  if (query.event_type) where.push(eq(d.event_type, query.event_type));
  if (query.cursor) where.push(afterCursor(query.cursor, d.created_at, d.id));
  const rows = await deps.database.db
    .select()
    .from(d)
    .where(and(...where))
    .orderBy(desc(d.created_at), desc(d.id))
    .limit(query.limit + 1);
  return toPage(rows, query.limit, (row) => ({ at: row.created_at, id: row.id }), view);
}

/** One delivery with the payload it sends and every attempt so far. */
export async function getDelivery(
  deps: NotificationDeps,
  id: string,
): Promise<DeliveryView & { payload: Record<string, unknown>; attempt_history: AttemptView[] }> {
  const db = deps.database.db;
  const [row] = await db
    .select()
    .from(notificationDeliveries)
    .where(eq(notificationDeliveries.id, id))
    .limit(1);
  if (!row) throw new NotFoundError(`Notification delivery '${id}'`);
  const attempts = await db
    .select()
    .from(notificationAttempts)
    .where(eq(notificationAttempts.delivery_id, id))
    .orderBy(asc(notificationAttempts.attempt));
  return {
    ...view(row),
    payload: row.payload,
    attempt_history: attempts.map(({ delivery_id: _delivery, ...attempt }) => ({
      ...attempt,
      outcome: attempt.outcome as AttemptView["outcome"],
    })),
  };
}

/**
 * Queues the same payload again as a new delivery (`replay_of` links it), keeping the original's
 * history intact. The payload `id` stays the event id, so a receiver that dedupes still can.
 */
export async function replayDelivery(
  deps: NotificationDeps,
  actor: Actor,
  id: string,
): Promise<DeliveryView> {
  const db = deps.database.db;
  const [original] = await db
    .select()
    .from(notificationDeliveries)
    .where(eq(notificationDeliveries.id, id))
    .limit(1);
  if (!original) throw new NotFoundError(`Notification delivery '${id}'`);
  const now = deps.clock.now().toISOString();
  const { channel_id, event_id, event_type, payload } = original;
  const row = pendingDelivery({ channel_id, event_id, event_type, payload, replay_of: original.id }, now);
  await db.batch([
    db.insert(notificationDeliveries).values(row),
    auditInsert(
      db,
      actor,
      {
        action: "notification_delivery.replay",
        target_type: "notification_delivery",
        target_id: original.id,
        after: { replay_id: row.id, channel_id: row.channel_id, event_type: row.event_type },
      },
      now,
    ),
  ]);
  deps.runtime.hub.wakeAfterCommit();
  return view(row);
}
