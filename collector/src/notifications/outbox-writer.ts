import { randomUUID } from "node:crypto";
import type { Clock } from "../clock.ts";
import type { Config } from "../config.ts";
import type { DatabaseRuntime } from "../database-runtime.ts";
import type { Database } from "../db/client.ts";
import { notificationDeliveries } from "../db/schema/index.ts";
import type { BusEvent, DomainEventHandler } from "../events/domain-events.ts";
import { channelRoutes } from "./channel-directory.ts";
import { pendingDelivery } from "./deliveries-service.ts";
import { buildPayload, isNotifiable, type PayloadContext } from "./payload.ts";
import { subscriptionMatches } from "./subscription-match.ts";

export interface OutboxWriterDeps {
  database: Database;
  runtime: Pick<DatabaseRuntime, "hub">;
  clock: Clock;
  config: Pick<Config, "publicUrl">;
}

/**
 * The bus subscriber that turns a domain event into one outbox row per matching channel, added to
 * the publisher's batch: the rows commit with the event or not at all, and sending happens later,
 * in the worker, so the request never waits for Slack.
 */
export function createOutboxWriter(deps: OutboxWriterDeps): DomainEventHandler {
  const { hub } = deps.runtime;
  return async (event, tx) => {
    if (!isNotifiable(event.type) || !changedTheRecord(event)) return;
    const routes = await channelRoutes(tx.config ?? deps.database.configCache);
    const matching = routes.filter((route) =>
      route.subscriptions.some((subscription) => subscriptionMatches(subscription, event)),
    );
    if (matching.length === 0) return;
    const context: PayloadContext = {
      eventId: randomUUID(),
      publicUrl: deps.config.publicUrl,
      previous: await previousVersion(event),
    };
    const payload = buildPayload(event, context);
    // "Ready to deploy": the buttons ingest rendered for the new version's build response.
    if (event.type === "build.completed") payload.buttons = event.data.response.buttons;
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
function changedTheRecord(event: BusEvent): boolean {
  const { data } = event;
  const record = "deployment" in data ? data.deployment : "build" in data ? data.build : undefined;
  return !record || record.updated_at === event.occurred_at;
}

/**
 * The version the deployment replaces, as ingest saw it (a batch's earlier events included).
 * Ingest publishes a loader rather than the row: only a matching channel pays for the lookup.
 */
async function previousVersion(event: BusEvent): Promise<PayloadContext["previous"]> {
  const load = "previous_version" in event.data ? event.data.previous_version : undefined;
  const previous = load ? await load() : null;
  return previous ? { version: previous.version, scm_sha: previous.scm_sha } : null;
}
