import type { EventKind, Status } from "@versioner/schema";
import { Counter, collectDefaultMetrics, exponentialBuckets, Gauge, Histogram, Registry } from "prom-client";
import type { QueryObserver } from "../db/query-timing.ts";
import type { WriteThreadObserver } from "../db/write-worker.ts";
import { MAX_GROUP } from "../ingest/group-commit.ts";

/** What happened to one event sent to ingest (a single event, one item of a batch, or a mapped CDEvent). */
export type IngestOutcome = "recorded" | "replayed" | "rejected" | "error";

/** What one notification attempt came to (as in the attempts table), or `cancelled` before sending. */
export type DeliveryOutcome = "delivered" | "retry" | "failed" | "cancelled";

export interface OutboxDepth {
  pending: number;
  /** Pending rows whose next attempt time has come: what the worker should be sending now. */
  due: number;
}

// Every label value is a route pattern, a status code or a word from a closed list: never a raw
// path, a name sent by a client, or anything from a credential, so series stay few and harmless.
const HTTP_METHODS = new Set(["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]);
const LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
const QUERY_BUCKETS = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1];

/**
 * The collector's Prometheus metrics, in a registry of their own: every app (tests build many in
 * one process) has its own instance, so nothing collides in prom-client's global registry.
 */
export class CollectorMetrics {
  readonly registry = new Registry();
  readonly #httpRequests: Counter<"method" | "route" | "status">;
  readonly #httpDuration: Histogram<"method" | "route" | "status">;
  readonly #ingestEvents: Counter<"kind" | "status" | "outcome">;
  readonly #groupSize: Histogram;
  readonly #queryDuration: Histogram<"operation" | "outcome">;
  readonly #writeThread: Counter<"phase">;
  readonly #rateLimitRefusals: Counter<"reason">;
  readonly #deliveries: Counter<"channel_kind" | "outcome">;
  #readOutbox: (() => Promise<OutboxDepth>) | undefined;

  /** `process`: also Node's process metrics (CPU, memory, event loop lag, GC), for the real server. */
  constructor(options: { process?: boolean } = {}) {
    const registers = [this.registry];
    if (options.process) collectDefaultMetrics({ register: this.registry });
    this.#httpRequests = new Counter({
      name: "versioner_http_requests_total",
      help: "HTTP requests answered, by method, route pattern and status code",
      labelNames: ["method", "route", "status"],
      registers,
    });
    this.#httpDuration = new Histogram({
      name: "versioner_http_request_duration_seconds",
      help: "Time from receiving a request to its response, by method, route pattern and status code",
      labelNames: ["method", "route", "status"],
      buckets: LATENCY_BUCKETS,
      registers,
    });
    this.#ingestEvents = new Counter({
      name: "versioner_ingest_events_total",
      help: "Build and deployment events that reached ingest, by kind, event status and outcome (recorded, replayed, rejected, error)",
      labelNames: ["kind", "status", "outcome"],
      registers,
    });
    this.#groupSize = new Histogram({
      name: "versioner_ingest_group_size",
      help: "Ingest requests committed together in one transaction by the group committer",
      buckets: exponentialBuckets(1, 2, Math.log2(MAX_GROUP) + 1),
      registers,
    });
    this.#queryDuration = new Histogram({
      name: "versioner_db_query_duration_seconds",
      help: "Duration of database client calls, by operation (execute, batch, begin, commit…) and outcome",
      labelNames: ["operation", "outcome"],
      buckets: QUERY_BUCKETS,
      registers,
    });
    this.#writeThread = new Counter({
      name: "versioner_write_thread_seconds_total",
      help: "Time the ingest write thread worked (a local database file only), by phase: statements, commit, checkpoint",
      labelNames: ["phase"],
      registers,
    });
    this.#rateLimitRefusals = new Counter({
      name: "versioner_rate_limit_refusals_total",
      help: "Requests answered 429 by the per-credential rate limit (rate) or the bound on concurrent large requests (large_requests)",
      labelNames: ["reason"],
      registers,
    });
    this.#deliveries = new Counter({
      name: "versioner_notification_attempts_total",
      help: "Notification delivery attempts by channel kind and outcome (delivered, retry, failed, cancelled)",
      labelNames: ["channel_kind", "outcome"],
      registers,
    });
    const metrics = this;
    new Gauge({
      name: "versioner_notification_outbox_depth",
      help: "Notification deliveries waiting in the outbox (pending), and those of them due now (due)",
      labelNames: ["state"],
      registers,
      // Read at each scrape: the outbox is a table other collectors on the database also fill.
      async collect() {
        this.reset();
        const depth = await metrics.#readOutbox?.();
        if (!depth) return;
        this.set({ state: "pending" }, depth.pending);
        this.set({ state: "due" }, depth.due);
      },
    });
  }

  /** Where the outbox depth is read at each scrape. */
  readOutboxWith(read: () => Promise<OutboxDepth>): void {
    this.#readOutbox = read;
  }

  /** `route` is the matched route pattern (`/products/:name`), `unmatched` when none matched. */
  request(method: string, route: string, status: number, seconds: number): void {
    const labels = { method: HTTP_METHODS.has(method) ? method : "OTHER", route, status: String(status) };
    this.#httpRequests.inc(labels);
    this.#httpDuration.observe(labels, seconds);
  }

  /** `status` is the event's status as parsed, `invalid` when the event did not parse. */
  ingestEvent(kind: EventKind, status: Status | "invalid", outcome: IngestOutcome): void {
    this.#ingestEvents.inc({ kind, status, outcome });
  }

  groupCommitted(size: number): void {
    this.#groupSize.observe(size);
  }

  readonly query: QueryObserver = (operation, seconds, failed) => {
    this.#queryDuration.observe({ operation, outcome: failed ? "error" : "ok" }, seconds);
  };

  readonly writeThread: WriteThreadObserver = (work) => {
    if (work.statements > 0) this.#writeThread.inc({ phase: "statements" }, work.statements);
    if (work.commit > 0) this.#writeThread.inc({ phase: "commit" }, work.commit);
    if (work.checkpoint > 0) this.#writeThread.inc({ phase: "checkpoint" }, work.checkpoint);
  };

  rateLimitRefused(reason: "rate" | "large_requests"): void {
    this.#rateLimitRefusals.inc({ reason });
  }

  deliveryAttempt(channelKind: string, outcome: DeliveryOutcome): void {
    this.#deliveries.inc({ channel_kind: channelKind, outcome });
  }
}
