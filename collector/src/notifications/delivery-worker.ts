import { randomUUID } from "node:crypto";
import { eq, sql } from "drizzle-orm";
import type { Clock } from "../clock.ts";
import type { NotificationConfig } from "../config.ts";
import type { DatabaseRuntime } from "../database-runtime.ts";
import type { Database } from "../db/client.ts";
import { notificationAttempts, notificationChannels, notificationDeliveries } from "../db/schema/index.ts";
import type { Logger } from "../logger.ts";
import { merged } from "../merged.ts";
import type { CollectorMetrics } from "../metrics/collector-metrics.ts";
import { ChannelSender, sendable } from "./channel-sender.ts";
import type { SendOutcome } from "./http-sender.ts";
import type { NotificationPayload } from "./payload.ts";
import { nextDelayMs } from "./retry-policy.ts";

export interface DeliveryWorkerDeps {
  database: Database;
  /** The runtime of the app whose outbox writer wakes this worker (database-runtime.ts). */
  runtime: Pick<DatabaseRuntime, "hub">;
  config: NotificationConfig;
  clock: Clock;
  logger: Logger;
  /** Identifies this process in leases and attempts; a random id by default. */
  owner?: string;
  sender?: ChannelSender;
  /** Counts each attempt by channel kind and outcome (the server passes its app's metrics). */
  metrics?: CollectorMetrics;
}

type DeliveryRow = typeof notificationDeliveries.$inferSelect;

/**
 * Sends the outbox. Each round claims due rows with one `UPDATE … RETURNING` that sets a lease
 * (SQLite runs it under its single write lock, so two collectors on one database never claim the
 * same row), sends them, and records the attempt and the next state in one batch, fenced on the
 * lease. A crash leaves rows pending or leased; the lease expires and any worker resumes them.
 */
export class DeliveryWorker {
  readonly owner: string;
  readonly #sender: ChannelSender;
  readonly #inFlight = new Set<Promise<void>>();
  #timer: NodeJS.Timeout | undefined;
  #running = false;
  #ticking: Promise<void> | undefined;
  #again = false;
  #unsubscribe: (() => void) | undefined;

  constructor(private readonly deps: DeliveryWorkerDeps) {
    this.owner = deps.owner ?? `worker-${randomUUID()}`;
    this.#sender = deps.sender ?? new ChannelSender(deps.config);
  }

  /** Longer than any one send can take, so a live worker never loses its lease mid-send. */
  get leaseMs(): number {
    return this.deps.config.timeoutMs * 2 + 5_000;
  }

  start(): void {
    if (this.#running) return;
    this.#running = true;
    this.#unsubscribe = this.deps.runtime.hub.onWake(() => this.wake());
    this.wake();
  }

  /** Claims now instead of at the next poll. */
  wake(): void {
    if (!this.#running) return;
    void this.#tick();
  }

  /** Stops claiming and waits for the sends in flight (bounded by the per-request timeout). */
  async stop(): Promise<void> {
    this.#running = false;
    this.#unsubscribe?.();
    clearTimeout(this.#timer);
    await this.#ticking;
    while (this.#inFlight.size > 0) await Promise.allSettled([...this.#inFlight]);
    this.#sender.close();
  }

  /** One round: claims what is due and free slots allow, and waits for those sends (tests use it). */
  async runOnce(): Promise<number> {
    const claimed = await this.#claim(this.deps.config.concurrency - this.#inFlight.size);
    await Promise.all(claimed.map((row) => this.#process(row)));
    return claimed.length;
  }

  #tick(): Promise<void> {
    if (this.#ticking) {
      this.#again = true;
      return this.#ticking;
    }
    this.#ticking = this.#round().finally(() => {
      this.#ticking = undefined;
      if (this.#running) {
        this.#timer = setTimeout(() => this.wake(), this.deps.config.pollMs);
        this.#timer.unref();
      }
    });
    return this.#ticking;
  }

  async #round(): Promise<void> {
    clearTimeout(this.#timer);
    try {
      do {
        this.#again = false;
        const slots = this.deps.config.concurrency - this.#inFlight.size;
        if (!this.#running || slots <= 0) break;
        const claimed = await this.#claim(slots);
        for (const row of claimed) {
          const task = this.#process(row).finally(() => {
            this.#inFlight.delete(task);
            this.wake();
          });
          this.#inFlight.add(task);
        }
        if (claimed.length === slots) this.#again = true;
      } while (this.#again && this.#running);
    } catch (error) {
      // SQLITE_BUSY when another collector holds the write lock longer than the busy timeout.
      this.deps.logger.warn("notification worker: claim failed, retrying at the next poll", { error });
    }
  }

  async #claim(limit: number): Promise<DeliveryRow[]> {
    if (limit <= 0) return [];
    const now = this.deps.clock.now();
    const nowIso = now.toISOString();
    const until = new Date(now.getTime() + this.leaseMs).toISOString();
    const d = notificationDeliveries;
    // Under the process's write lock, as every write of this process: the ingest group commit
    // holds it while a thread applies its transaction, and a write sent meanwhile would wait for
    // SQLite's lock in the busy handler, holding the event loop for the whole commit.
    const { database } = this.deps;
    return database.writeLock.run(() =>
      database.db
        .update(d)
        .set({ lease_owner: this.owner, lease_until: until })
        .where(
          sql`${d.id} IN (SELECT ${d.id} FROM ${d} WHERE ${d.status} = 'pending' AND ${d.next_attempt_at} <= ${nowIso}
          AND (${d.lease_until} IS NULL OR ${d.lease_until} < ${nowIso})
          ORDER BY ${d.next_attempt_at} LIMIT ${limit})`,
        )
        .returning(),
    );
  }

  /**
   * Never rejects: its promise runs detached from any caller, and an unhandled rejection would end
   * the process. A delivery that fails here (the database refusing a write, say) stays leased and
   * is claimed again when its lease ends, so nothing is lost.
   */
  async #process(row: DeliveryRow): Promise<void> {
    try {
      await this.#deliver(row);
    } catch (error) {
      this.deps.logger.error(
        "notification worker: delivery not recorded; it will be retried when its lease ends",
        {
          delivery_id: row.id,
          error,
        },
      );
    }
  }

  async #deliver(row: DeliveryRow): Promise<void> {
    const db = this.deps.database.db;
    const [channel] = await db
      .select()
      .from(notificationChannels)
      .where(eq(notificationChannels.id, row.channel_id));
    const started = this.deps.clock.now();
    if (!channel?.enabled) {
      await this.#record(
        row,
        channel?.kind ?? "unknown",
        started,
        0,
        {
          ok: false,
          retryable: false,
          response_code: null,
          error: channel ? "channel disabled before sending" : "channel deleted",
          retry_after_ms: null,
          response_excerpt: null,
        },
        "cancelled",
      );
      return;
    }
    const t0 = performance.now();
    let outcome: SendOutcome;
    try {
      outcome = await this.#sender.send(
        sendable(channel, this.deps.database.secrets),
        { id: row.id, payload: row.payload as unknown as NotificationPayload },
        started,
      );
    } catch (error) {
      outcome = {
        ok: false,
        retryable: true,
        response_code: null,
        error: String(error),
        retry_after_ms: null,
        response_excerpt: null,
      };
    }
    await this.#record(row, channel.kind, started, Math.round(performance.now() - t0), outcome);
  }

  async #record(
    row: DeliveryRow,
    channelKind: string,
    started: Date,
    durationMs: number,
    outcome: SendOutcome,
    finalStatus?: "cancelled",
  ): Promise<void> {
    const { config, clock, logger, database } = this.deps;
    const attempt = row.attempts + (finalStatus ? 0 : 1);
    const recordedAt = clock.now();
    const now = recordedAt.toISOString();
    const exhausted = attempt >= config.maxAttempts;
    const retry = !outcome.ok && outcome.retryable && !exhausted && !finalStatus;
    const status = finalStatus ?? (outcome.ok ? "delivered" : retry ? "pending" : "failed");
    const attemptOutcome = outcome.ok ? "delivered" : retry ? "retry" : "failed";
    const next = retry
      ? new Date(
          recordedAt.getTime() +
            nextDelayMs(
              { baseMs: config.retryBaseMs, maxDelayMs: config.maxDelayMs, maxAttempts: config.maxAttempts },
              attempt,
              outcome.retry_after_ms,
            ),
        ).toISOString()
      : null;
    const error =
      outcome.error && exhausted && !outcome.ok && outcome.retryable
        ? `${outcome.error} (gave up after ${attempt} attempts)`
        : outcome.error;
    const db = database.db;
    const d = notificationDeliveries;
    const update = db
      .update(d)
      .set({
        status,
        attempts: attempt,
        next_attempt_at: next,
        lease_owner: null,
        lease_until: null,
        last_error: error,
        last_response_code: outcome.response_code,
        updated_at: now,
        delivered_at: outcome.ok ? now : null,
      })
      // Fenced: if the lease was lost (a send outlived it), the newer owner's outcome stands.
      .where(sql`${d.id} = ${row.id} AND ${d.lease_owner} = ${this.owner}`);
    if (finalStatus) {
      await database.writeLock.run(async () => update);
    } else {
      await database.writeLock.run(() =>
        db.batch([
          update,
          db.insert(notificationAttempts).values({
            id: randomUUID(),
            delivery_id: row.id,
            attempt,
            started_at: started.toISOString(),
            duration_ms: durationMs,
            outcome: attemptOutcome,
            response_code: outcome.response_code,
            error,
            response_excerpt: outcome.response_excerpt?.slice(0, 512) ?? null,
            worker: this.owner,
          }),
        ]),
      );
    }
    this.deps.metrics?.deliveryAttempt(channelKind, finalStatus ?? attemptOutcome);
    const fields = {
      delivery_id: row.id,
      channel_id: row.channel_id,
      event_type: row.event_type,
      attempt,
      status,
    };
    if (status === "failed")
      logger.warn(
        "notification delivery failed",
        merged(fields, { error, response_code: outcome.response_code }),
      );
    else
      logger.debug(
        "notification attempt",
        merged(fields, { response_code: outcome.response_code, next_attempt_at: next }),
      );
  }
}
