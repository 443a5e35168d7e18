import { asc, sql } from "drizzle-orm";
import type { Database, Db } from "../db/client.ts";
import { notificationChannels, notificationSubscriptions, settings } from "../db/schema/index.ts";

export type ChannelRow = typeof notificationChannels.$inferSelect;
export type SubscriptionRow = typeof notificationSubscriptions.$inferSelect;

/** An enabled channel with its subscriptions, as the outbox writer matches events against it. */
export interface ChannelRoute {
  id: string;
  kind: string;
  subscriptions: SubscriptionRow[];
}

/** The `settings` row every channel change bumps in its own transaction. */
const CHANNELS_GENERATION = "notification_channels_generation";

/**
 * Bumps the channel generation: part of every batch that changes channels or subscriptions, so
 * every collector on the database sees the change for its very next event.
 */
export function bumpChannelsGeneration(db: Db) {
  return db
    .insert(settings)
    .values({ key: CHANNELS_GENERATION, value: "1" })
    .onConflictDoUpdate({
      target: settings.key,
      set: { value: sql`CAST(${settings.value} AS INTEGER) + 1` },
    });
}

/**
 * Per-database state of the notifications feature inside one process: the cached channel list the
 * ingest path matches against (so a busy ingest does not read the channels for every event), and
 * the wake-up hint from the outbox writer to the delivery worker.
 *
 * The copy is kept while the channel generation in the database is unchanged: one indexed read of
 * one row per event instead of the channel and subscription tables.
 */
export class NotificationHub {
  #routes: ChannelRoute[] | undefined;
  #routesGeneration: string | undefined;
  #generationRead: Promise<string> | undefined;
  readonly #listeners = new Set<() => void>();
  #wakeQueued = false;

  constructor(private readonly database: Database) {}

  /** Enabled channels with their subscriptions, as of the latest channel change on the database. */
  async routes(): Promise<ChannelRoute[]> {
    const generation = await this.#generation();
    if (this.#routes && generation === this.#routesGeneration) return this.#routes;
    const routes = await loadRoutes(this.database.db);
    this.#routes = routes;
    // Read before the channels: a change committed in between makes the next call load again.
    this.#routesGeneration = generation;
    return routes;
  }

  /** The channel generation; callers that ask while a read is in flight share it. */
  #generation(): Promise<string> {
    this.#generationRead ??= this.database.client
      .execute({ sql: "SELECT value FROM settings WHERE key = ?", args: [CHANNELS_GENERATION] })
      .then((result) => String(result.rows[0]?.value ?? "0"))
      .finally(() => {
        this.#generationRead = undefined;
      });
    return this.#generationRead;
  }

  /** Called by every channel change in this process. */
  invalidate(): void {
    this.#routes = undefined;
    this.#generationRead = undefined;
  }

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

const hubs = new WeakMap<Database, NotificationHub>();

/** The hub of a database: one per database handle, shared by routes, outbox writer and worker. */
export function hubFor(database: Database): NotificationHub {
  let hub = hubs.get(database);
  if (!hub) {
    hub = new NotificationHub(database);
    hubs.set(database, hub);
  }
  return hub;
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
