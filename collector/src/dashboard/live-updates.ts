import type { Database } from "../db/client.ts";
import type { DomainEvent, DomainEventBus } from "../events/domain-events.ts";

/** The Server-Sent Events stream pages listen to; elements with `data-live` refresh on a change. */
export const LIVE_STREAM = "/dashboard/live";

/** What an open page learns about a change: enough to refresh and to point at the cell. */
export interface LiveChange {
  type: string;
  product?: string;
  environment?: string;
  status?: string;
}

type Listener = (change: LiveChange) => void;

// Builds, deployments and the release progress they cause are what the pages show live.
const LIVE_TYPES = /^(build|deployment|release)\./;

/**
 * Fans domain events out to the dashboard's Server-Sent Event streams. The bus publishes while
 * the ingest transaction is being planned, under the database's write lock; queueing the
 * broadcast on the same FIFO lock delivers it after that transaction has committed (or failed,
 * in which case a page refreshes to what it already showed), never before the data is readable.
 */
export class LiveUpdates {
  readonly #listeners = new Set<Listener>();

  constructor(bus: DomainEventBus, database: Database) {
    bus.subscribe((event) => {
      if (!LIVE_TYPES.test(event.type) || this.#listeners.size === 0) return;
      const change = toChange(event);
      void database.writeLock.run(async () => this.#emit(change));
    });
  }

  /** Registers a listener; returns the function that removes it. */
  listen(listener: Listener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  #emit(change: LiveChange): void {
    for (const listener of this.#listeners) listener(change);
  }
}

function toChange(event: DomainEvent): LiveChange {
  return {
    type: event.type,
    product: event.product_name,
    environment: event.environment_name,
    status: event.status,
  };
}
