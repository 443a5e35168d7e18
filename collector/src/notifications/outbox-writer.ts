import { randomUUID } from "node:crypto";
import { and, eq } from "drizzle-orm";
import { buttonsForVersions, type RenderableVersion } from "../buttons/button-renderer.ts";
import type { Clock } from "../clock.ts";
import type { Database, Db } from "../db/client.ts";
import { currentState, notificationDeliveries, versions } from "../db/schema/index.ts";
import type { DomainEvent, DomainEventHandler } from "../events/domain-events.ts";
import { hubFor } from "./channel-directory.ts";
import { pendingDelivery } from "./deliveries-service.ts";
import { buildPayload, isNotifiable, type NotificationPayload, type PayloadContext } from "./payload.ts";
import { subscriptionMatches } from "./subscription-match.ts";

export interface OutboxWriterDeps {
  database: Database;
  clock: Clock;
}

/**
 * The bus subscriber that turns a domain event into one outbox row per matching channel, added to
 * the publisher's batch: the rows commit with the event or not at all, and sending happens later,
 * in the worker, so the request never waits for Slack.
 */
export function createOutboxWriter(deps: OutboxWriterDeps): DomainEventHandler {
  const hub = hubFor(deps.database);
  return async (event, tx) => {
    if (!isNotifiable(event.type) || !changedTheRecord(event)) return;
    const routes = await hub.routes();
    const matching = routes.filter((route) =>
      route.subscriptions.some((subscription) => subscriptionMatches(subscription, event)),
    );
    if (matching.length === 0) return;
    const context: PayloadContext = {
      eventId: randomUUID(),
      previous: event.type.startsWith("deployment.") ? await previousDeployment(tx.db, event) : null,
    };
    const payload = buildPayload(event, context);
    if (event.type === "build.completed") payload.buttons = await readyToDeploy(tx.db, event);
    const now = deps.clock.now().toISOString();
    for (const route of matching) {
      const row = {
        channel_id: route.id,
        event_id: context.eventId,
        event_type: event.type,
        payload,
        replay_of: null,
      };
      tx.add(tx.db.insert(notificationDeliveries).values(pendingDelivery(row, now)));
    }
    hub.wakeAfterCommit();
  };
}

/**
 * Ingest publishes for every accepted event, including a late `started` that leaves a completed
 * deployment as it was; such an event changed nothing and notifies nobody. A record the event
 * created or advanced carries the event's time as `updated_at`.
 */
function changedTheRecord(event: DomainEvent): boolean {
  const record = (event.data.deployment ?? event.data.build) as { updated_at?: unknown } | undefined;
  if (!record || typeof record.updated_at !== "string") return true;
  return record.updated_at === event.occurred_at;
}

// The committed state, read before this event's batch applies: the version this deployment replaces.
async function previousDeployment(db: Db, event: DomainEvent): Promise<PayloadContext["previous"]> {
  if (!event.product_id || !event.environment_id) return null;
  const [row] = await db
    .select({ version: versions.version, scm_sha: versions.scm_sha, version_id: versions.id })
    .from(currentState)
    .innerJoin(versions, eq(versions.id, currentState.current_version_id))
    .where(
      and(
        eq(currentState.product_id, event.product_id),
        eq(currentState.environment_id, event.environment_id),
      ),
    )
    .limit(1);
  const current = (event.data.version as { id?: unknown } | undefined)?.id;
  if (!row || row.version_id === current) return null;
  return { version: row.version, scm_sha: row.scm_sha };
}

/** The deployment buttons of a freshly built version ("ready to deploy"), as version responses show them. */
async function readyToDeploy(db: Db, event: DomainEvent): Promise<NotificationPayload["buttons"]> {
  const version = event.data.version as RenderableVersion | undefined;
  if (!version?.id || !event.product_name) return [];
  const rendered = await buttonsForVersions(db, [{ ...version, product_name: event.product_name }]);
  return rendered.get(version.id) ?? [];
}
