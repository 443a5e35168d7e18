import type { Db } from "../db/client.ts";
import { plainStatement, type WriteStatement } from "../db/compiled-writes.ts";
import type { EventTransaction } from "./domain-events.ts";

/**
 * The statements of one change made outside ingest, with what the domain events it publishes add
 * (notification outbox rows): `commit()` writes them in one batch, a single transaction.
 */
export class EventBatch implements EventTransaction {
  readonly statements: WriteStatement[] = [];
  constructor(readonly db: Db) {}
  add(statement: WriteStatement): void {
    this.statements.push(statement);
  }
  async commit(): Promise<void> {
    // The client's own batch, as drizzle's would send it: statements compiled once (ingest's
    // subscribers add some) are not drizzle queries.
    if (this.statements.length > 0) await this.db.$client.batch(this.statements.map(plainStatement));
  }
}
