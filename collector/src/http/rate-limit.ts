import type { Logger } from "../logger.ts";

/** Requests per second a credential may sustain, the burst it may spend at once, and the cap on large bodies. */
export interface RateLimits {
  /** 0 turns the per-credential limit off. */
  perSecond: number;
  burst: number;
  /** Requests whose body may exceed `largeRequestBytes` that may be read at once (0: no bound). */
  maxConcurrentLarge: number;
  largeRequestBytes: number;
}

/** Why a request was turned away, and when it may come back. */
export interface Refusal {
  reason: "rate" | "large_requests";
  retryAfterSeconds: number;
}

const MAX_TRACKED = 10_000;
const LOG_INTERVAL_MS = 60_000;

/**
 * Token buckets per credential, in this process: a collector behind a load balancer enforces its
 * own share. Full buckets are forgotten when the table grows, so memory stays bounded.
 */
export class RateLimiter {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();
  private readonly logged = new Map<string, number>();
  private largeInFlight = 0;
  /** Refusals since start, by reason (for logs and metrics). */
  readonly refusals = { rate: 0, large_requests: 0 };

  constructor(
    private readonly limits: RateLimits,
    private readonly logger: Logger,
    private readonly now: () => number = Date.now,
  ) {}

  /** Spends one token of `key`'s bucket, or says how long until one is there. */
  take(key: string): Refusal | undefined {
    const { perSecond, burst } = this.limits;
    if (perSecond <= 0) return undefined;
    const now = this.now();
    const bucket = this.buckets.get(key) ?? { tokens: burst, at: now };
    bucket.tokens = Math.min(burst, bucket.tokens + ((now - bucket.at) / 1000) * perSecond);
    bucket.at = now;
    if (bucket.tokens < 1) {
      this.buckets.set(key, bucket);
      return this.refuse(key, "rate", Math.ceil((1 - bucket.tokens) / perSecond));
    }
    bucket.tokens -= 1;
    if (!this.buckets.has(key) && this.buckets.size >= MAX_TRACKED) this.forgetFull(now);
    this.buckets.set(key, bucket);
    return undefined;
  }

  /**
   * Takes a slot for a request that may carry a large body; `release` must be called when it is
   * done. Large bodies are what make memory grow under load, so only a few are read at once.
   */
  enterLarge(key: string, declaredBytes: number | undefined): { release: () => void } | Refusal {
    const { maxConcurrentLarge, largeRequestBytes } = this.limits;
    const large = declaredBytes === undefined || declaredBytes > largeRequestBytes;
    if (maxConcurrentLarge <= 0 || !large) return { release: () => {} };
    if (this.largeInFlight >= maxConcurrentLarge) return this.refuse(key, "large_requests", 1);
    this.largeInFlight++;
    let released = false;
    return {
      release: () => {
        if (released) return;
        released = true;
        this.largeInFlight--;
      },
    };
  }

  private refuse(key: string, reason: Refusal["reason"], retryAfterSeconds: number): Refusal {
    this.refusals[reason]++;
    const now = this.now();
    const logKey = `${reason}:${key}`;
    if (now - (this.logged.get(logKey) ?? 0) >= LOG_INTERVAL_MS) {
      if (this.logged.size >= MAX_TRACKED) this.logged.clear();
      this.logged.set(logKey, now);
      this.logger.warn("request refused: rate limit", {
        reason,
        credential: key,
        refusals: this.refusals[reason],
      });
    }
    return { reason, retryAfterSeconds: Math.max(1, retryAfterSeconds) };
  }

  private forgetFull(now: number): void {
    const { perSecond, burst } = this.limits;
    for (const [key, bucket] of this.buckets) {
      if (bucket.tokens + ((now - bucket.at) / 1000) * perSecond >= burst) this.buckets.delete(key);
    }
  }
}
