/** When to try again, and whether to. */
export interface RetryPolicy {
  baseMs: number;
  maxDelayMs: number;
  maxAttempts: number;
}

/**
 * Exponential backoff with ±20 % jitter: attempt 1 failed → about `baseMs`, then 2×, 4×… capped at
 * `maxDelayMs`. With the defaults (1 s, 1 h, 15 attempts) a delivery keeps trying for about 6 hours.
 * The jitter spreads retries of many deliveries that failed together (an outage) apart.
 */
export function retryDelayMs(
  policy: RetryPolicy,
  failedAttempts: number,
  random: () => number = Math.random,
): number {
  const exponential = policy.baseMs * 2 ** Math.max(0, failedAttempts - 1);
  const jittered = exponential * (0.8 + 0.4 * random());
  return Math.round(Math.min(policy.maxDelayMs, jittered));
}

/** A 429's Retry-After is honoured (never retried sooner), within six hours. */
export function nextDelayMs(
  policy: RetryPolicy,
  failedAttempts: number,
  retryAfterMs: number | null,
  random: () => number = Math.random,
): number {
  if (retryAfterMs !== null) return Math.min(6 * 3_600_000, Math.max(retryAfterMs, 0));
  return retryDelayMs(policy, failedAttempts, random);
}
