import { asc } from "drizzle-orm";
import type { Database, Db } from "../db/client.ts";
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
 * How long the outbox writer trusts its copy of the channel list. Changes made through this
 * process invalidate it at once; a change made through another collector on the same database
 * is seen within this time.
 */
const CHANNEL_CACHE_TTL_MS = 5_000;

/**
 * Per-database state of the notifications feature inside one process: the cached channel list the
 * ingest path matches against (so a busy ingest does not read the channels for every event), and
 * the wake-up hint from the outbox writer to the delivery worker.
 */
export class NotificationHub {
  #routes: ChannelRoute[] | undefined;
  #loadedAt = 0;
  #loading: Promise<ChannelRoute[]> | undefined;
  #generation = 0;
  readonly #listeners = new Set<() => void>();
  #wakeQueued = false;

  constructor(private readonly database: Database) {}

  /** Enabled channels with their subscriptions, cached for CHANNEL_CACHE_TTL_MS. */
  async routes(): Promise<ChannelRoute[]> {
    if (this.#routes && Date.now() - this.#loadedAt < CHANNEL_CACHE_TTL_MS) return this.#routes;
    if (!this.#loading) {
      const generation = this.#generation;
      this.#loading = loadRoutes(this.database.db).finally(() => {
        this.#loading = undefined;
      });
      const routes = await this.#loading;
      // A change made while loading makes this copy stale: use it once, but do not keep it.
      if (generation === this.#generation) {
        this.#routes = routes;
        this.#loadedAt = Date.now();
      }
      return routes;
    }
    return this.#loading;
  }

  /** Called by every channel change in this process. */
  invalidate(): void {
    this.#generation += 1;
    this.#routes = undefined;
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
