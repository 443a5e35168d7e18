import { asc } from "drizzle-orm";
import type { Database, Db } from "../db/client.ts";
import type { ConfigReader } from "../db/config-generation.ts";
import { notificationChannels, notificationSubscriptions } from "../db/schema/index.ts";

export type ChannelRow = typeof notificationChannels.$inferSelect;
export type SubscriptionRow = typeof notificationSubscriptions.$inferSelect;

/** An enabled channel with its subscriptions, as the outbox writer matches events against it. */
export interface ChannelRoute {
  id: string;
  kind: string;
  subscriptions: SubscriptionRow[];
}

/**
 * Enabled channels with their subscriptions, as of the latest configuration change on the
 * database: from the configuration cache (`config`, or a group commit's view of it), so a busy
 * ingest does not read the channels for every event, and a channel created on another collector is
 * matched by this one's next event. Every channel change bumps the generation and invalidates it.
 */
export function channelRoutes(config: ConfigReader): Promise<ChannelRoute[]> {
  return config.get(loadRoutes);
}

/**
 * The wake-up hint from the outbox writer to the delivery worker. One per DatabaseRuntime
 * (database-runtime.ts): the app's outbox writer and the worker beside it must share it.
 */
export class NotificationHub {
  readonly #listeners = new Set<() => void>();
  #wakeQueued = false;

  constructor(private readonly database: Database) {}

  onWake(listener: () => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /**
   * Wakes the workers once the current write has committed. Ingest holds the write lock while it
   * plans and applies its batch, so a no-op queued on the lock runs just after the commit. The
   * worker polls anyway; this only saves the wait.
   */
  wakeAfterCommit(): void {
    if (this.#wakeQueued || this.#listeners.size === 0) return;
    this.#wakeQueued = true;
    void this.database.writeLock
      .run(async () => {})
      .then(() => {
        this.#wakeQueued = false;
        for (const listener of this.#listeners) listener();
      });
  }
}

async function loadRoutes(db: Db): Promise<ChannelRoute[]> {
  const channels = await db.select().from(notificationChannels);
  const subscriptions = await db
    .select()
    .from(notificationSubscriptions)
    .orderBy(asc(notificationSubscriptions.channel_id), asc(notificationSubscriptions.position));
  const byChannel = subscriptionsByChannel(subscriptions);
  return channels
    .filter((channel) => channel.enabled)
    .map((channel) => ({
      id: channel.id,
      kind: channel.kind,
      subscriptions: byChannel.get(channel.id) ?? [],
    }));
}

/** Subscriptions grouped by channel id, keeping their order. */
export function subscriptionsByChannel(subscriptions: SubscriptionRow[]): Map<string, SubscriptionRow[]> {
  const byChannel = new Map<string, SubscriptionRow[]>();
  for (const subscription of subscriptions) {
    const list = byChannel.get(subscription.channel_id) ?? [];
    list.push(subscription);
    byChannel.set(subscription.channel_id, list);
  }
  return byChannel;
}
