import { ERROR_CODES } from "@versioner/schema";
import { ConflictError } from "../errors.ts";
import { legacyRequestHash, repeatsLatest } from "./lifecycle.ts";
import type { EventRow, LatestEvent, UnitOfWork } from "./unit-of-work.ts";

/** What tells whether an event repeats one already recorded (docs/api.md, "Repeats"). */
export interface RepeatCheck {
  hash: string;
  idempotencyKey: string | undefined;
  receivedAt: Date;
  hasInvokeId: boolean;
  windowSeconds: number;
  latestEvent: () => Promise<LatestEvent | undefined>;
}

/**
 * The stored event this one repeats (its response is the answer), or undefined for a new event. A
 * key reused with another body is refused: the client meant a new event under an old key.
 */
export async function repeatedEvent(unit: UnitOfWork, check: RepeatCheck): Promise<EventRow | undefined> {
  if (check.idempotencyKey) {
    const stored = await unit.eventByIdempotencyKey(check.idempotencyKey);
    if (!stored) return undefined;
    if ((stored.body_hash ?? legacyRequestHash(stored)) !== check.hash) {
      throw new ConflictError(
        ERROR_CODES.IDEMPOTENCY_KEY_REUSED,
        `Idempotency-Key '${check.idempotencyKey}' was already used for another request (a ${stored.kind} event with a different body); send a new key for a new event`,
      );
    }
    return stored;
  }
  const previous = await check.latestEvent();
  if (!previous || !(await isRepeat(unit, previous, check))) return undefined;
  return unit.eventById(previous.id);
}

async function isRepeat(unit: UnitOfWork, latest: LatestEvent, check: RepeatCheck): Promise<boolean> {
  let latestHash = latest.body_hash;
  if (latestHash === null) {
    const row = await unit.eventById(latest.id);
    // Stryker disable next-line ConditionalExpression: the latest event was read from the events table or planned in this unit, so it is found
    latestHash = row ? legacyRequestHash(row) : null;
  }
  return repeatsLatest({
    hash: check.hash,
    latestHash,
    latestReceivedAt: latest.received_at,
    receivedAt: check.receivedAt,
    hasInvokeId: check.hasInvokeId,
    windowSeconds: check.windowSeconds,
  });
}
