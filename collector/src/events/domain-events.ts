import type { BatchItem } from "drizzle-orm/batch";
import type { Db } from "../db/client.ts";
import { DomainError } from "../errors.ts";

/**
 * Something that happened in the domain, named as the notification event types of SPEC.md
 * (`build.completed`, `deployment.failed`, `release.member_failed`, …).
 */
export interface DomainEvent {
  type: string;
  occurred_at: string;
  product_id?: string;
  product_name?: string;
  environment_id?: string;
  environment_name?: string;
  environment_type?: string;
  /** Canonical status of the build or deployment, when there is one. */
  status?: string;
  /** Everything a subscriber may need, e.g. the deployment, version and product rows. */
  data: Record<string, unknown>;
}

/** The transaction a publisher is building: handlers read through `db` and add statements to it. */
export interface EventTransaction {
  db: Db;
  add(statement: BatchItem<"sqlite">): void;
  /**
   * The product × environment cell (current version) as this transaction has planned it so far;
   * ingest's unit of work has it. Without it, subscribers read the stored cell.
   */
  state?(
    productId: string,
    environmentId: string,
  ): Promise<{ current_version_id: string | null } | undefined>;
}

export type DomainEventHandler = (event: DomainEvent, tx: EventTransaction) => Promise<void> | void;

/**
 * In-process, in-transaction publish/subscribe. Handlers run while the publisher plans its
 * writes and add their own statements to the same batch, so what they record (release
 * progress, notification outbox rows) commits or fails with the event itself.
 */
export class DomainEventBus {
  readonly #handlers: DomainEventHandler[] = [];

  subscribe(handler: DomainEventHandler): void {
    this.#handlers.push(handler);
  }

  /**
   * Runs every handler. A handler's DomainError is rethrown as a plain Error: the publisher has
   * already planned writes, and ingest treats a DomainError as "this event was rejected before
   * anything was planned", which would keep half an event.
   */
  async publish(event: DomainEvent, tx: EventTransaction): Promise<void> {
    for (const handler of this.#handlers) {
      try {
        await handler(event, tx);
      } catch (error) {
        if (error instanceof DomainError) {
          throw new Error(`A ${event.type} handler failed: ${error.message}`, { cause: error });
        }
        throw error;
      }
    }
  }
}
