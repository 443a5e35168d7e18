import type { BatchItem } from "drizzle-orm/batch";
import type { Db } from "../db/client.ts";
import type { EventTransaction } from "./domain-events.ts";

/**
 * The statements of one change made outside ingest, with what the domain events it publishes add
 * (notification outbox rows): `commit()` writes them in one batch, a single transaction.
 */
export class EventBatch implements EventTransaction {
  readonly statements: BatchItem<"sqlite">[] = [];
  constructor(readonly db: Db) {}
  add(statement: BatchItem<"sqlite">): void {
    this.statements.push(statement);
  }
  async commit(): Promise<void> {
    const [first, ...rest] = this.statements;
    if (first) await this.db.batch([first, ...rest]);
  }
}
