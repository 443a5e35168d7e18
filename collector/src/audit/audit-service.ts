import { randomUUID } from "node:crypto";
import type { Principal } from "../auth/capabilities.ts";
import type { Db } from "../db/client.ts";
import { auditLog } from "../db/schema/index.ts";

/** Who made a change, as the route saw it. */
export interface Actor {
  principal: Principal;
  requestId: string;
}

/** A change: `action` is `entity.verb` (`product.update`, `api_key.revoke`, …). */
export interface AuditChange {
  action: string;
  target_type: string;
  target_id?: string | null;
  target_name?: string | null;
  before?: Record<string, unknown> | null;
  after?: Record<string, unknown> | null;
}

// Values under these keys never reach the audit log, whatever a caller passes.
const SECRET_KEYS = /token|secret|password|hash|api_key|webhook_url|^url$|headers/i;

/** Drops secret fields (recursively) so an audit entry can show what changed without leaking it. */
export function redact(value: Record<string, unknown> | null | undefined): Record<string, unknown> | null {
  if (!value) return null;
  const out: Record<string, unknown> = {};
  for (const [key, inner] of Object.entries(value)) {
    if (SECRET_KEYS.test(key)) out[key] = "[redacted]";
    else if (inner && typeof inner === "object" && !Array.isArray(inner))
      out[key] = redact(inner as Record<string, unknown>);
    else out[key] = inner;
  }
  return out;
}

/**
 * The insert for one audit entry, to be put in the same batch (transaction) as the change it
 * records: a change is never written without its entry, nor an entry without its change.
 */
export function auditInsert(db: Db, actor: Actor, change: AuditChange, at: string) {
  return db.insert(auditLog).values({
    id: randomUUID(),
    at,
    actor_type: actor.principal.kind,
    actor_id: actor.principal.id,
    actor_name: actor.principal.name,
    action: change.action,
    target_type: change.target_type,
    target_id: change.target_id ?? null,
    target_name: change.target_name ?? null,
    before: redact(change.before),
    after: redact(change.after),
    request_id: actor.requestId,
  });
}
