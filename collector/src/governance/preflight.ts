import { randomUUID } from "node:crypto";
import type { PreflightBlock } from "@versioner/schema";
import { and, desc, eq, type SQL } from "drizzle-orm";
import { afterCursor, toPage } from "../db/pagination.ts";
import { currentState, environments, preflightFailures, products, versions } from "../db/schema/index.ts";
import { DomainError } from "../errors.ts";
import type { DomainEventBus, EventTransaction } from "../events/domain-events.ts";
import {
  activeLock,
  EVALUATION_ORDER,
  type EvaluationContext,
  evaluateLock,
  evaluateRule,
  inScope,
  type PreflightReads,
  type PreflightSubject,
  type Violation,
} from "./evaluation.ts";
import type { PreflightAnswer, RuleEvaluation } from "./rules-schema.ts";
import { activeRules, type GovernanceDeps } from "./rules-service.ts";

export type { PreflightReads, PreflightSubject } from "./evaluation.ts";

/** The outcome of every rule that applies, and the violation that blocks, if one does. */
export interface PreflightOutcome {
  block: Violation | null;
  evaluated: RuleEvaluation[];
}

/** The 409/423/428 a blocked deployment event answers with: `detail` is the hosted block body. */
export class PreflightBlockedError extends DomainError {
  constructor(readonly violation: Violation) {
    super(violation.status, violation.code, blockBody(violation));
  }
}

export function blockBody(violation: Violation): PreflightBlock {
  return {
    error: "deployment_blocked",
    code: violation.code,
    message: violation.message,
    ...(violation.retry_after ? { retry_after: violation.retry_after } : {}),
    details: violation.details,
  };
}

function evaluation(
  rule: { id: string; name: string; mode: "enabled" | "report_only" },
  violation: Violation | null,
): RuleEvaluation {
  return {
    rule_name: rule.name,
    rule_id: rule.id,
    mode: rule.mode,
    status: rule.mode,
    evaluation_result: violation ? "failed" : "passed",
    error_message: violation?.message ?? null,
    code: violation?.code ?? null,
    ...(violation?.retry_after ? { retry_after: violation.retry_after } : {}),
  };
}

/**
 * Runs the lock check and every rule in scope (docs/governance.md, "Evaluation order"). All
 * applicable rules are evaluated, so a dry run and report-only results list them all; the block is
 * the first enabled violation: a lock, then schedule, flow, approvals, requests, concurrency.
 */
export async function runPreflight(
  subject: PreflightSubject,
  reads: PreflightReads,
  now: Date,
): Promise<PreflightOutcome> {
  const rules = (await activeRules(reads.database, reads.config)).filter((rule) => inScope(rule, subject));
  const context: EvaluationContext = { subject, reads, now };
  const evaluated: RuleEvaluation[] = [];
  let block: Violation | null = null;
  const lock = await activeLock(context);
  if (lock) {
    block = evaluateLock(lock, subject);
    evaluated.push(evaluation({ id: lock.id, name: "environment lock", mode: "enabled" }, block));
  }
  for (const type of EVALUATION_ORDER) {
    for (const rule of rules) {
      if (rule.type !== type) continue;
      const violation = await evaluateRule(rule, context);
      evaluated.push(evaluation(rule, violation));
      if (violation && rule.mode === "enabled") block ??= violation;
    }
  }
  return { block, evaluated };
}

/**
 * What a 200 carries in `extra_metadata.preflight_status` (the hosted shape); undefined when no
 * rule applied, so an ungoverned deployment looks as it always did.
 */
export function preflightStatus(outcome: PreflightOutcome) {
  if (outcome.evaluated.length === 0) return undefined;
  const failed = outcome.evaluated.some((rule) => rule.evaluation_result === "failed");
  return { status: failed ? "failed" : "passed", rules_evaluated: outcome.evaluated };
}

/**
 * Plans the record of a refused deployment into the caller's transaction: the preflight_failures
 * row, and `deployment.preflight_failed` for notification channels. Nothing about the deployment
 * itself is written.
 */
export async function planPreflightFailure(
  tx: EventTransaction,
  bus: DomainEventBus,
  subject: PreflightSubject,
  violation: Violation,
  actor: string | null,
  now: string,
): Promise<void> {
  const details = violation.details;
  const row = {
    id: randomUUID(),
    product: subject.productName,
    version: subject.versionName,
    environment: subject.environmentName,
    code: violation.code,
    message: violation.message,
    rule_id: details.rule_id,
    rule_name: details.rule_name,
    details,
    retry_after: violation.retry_after ?? null,
    actor,
    created_at: now,
  };
  tx.add(tx.db.insert(preflightFailures).values(row));
  await bus.publish(
    {
      type: "deployment.preflight_failed",
      occurred_at: now,
      product_id: subject.productId,
      product_name: subject.productName,
      environment_id: subject.environmentId,
      environment_name: subject.environmentName,
      data: {
        product: { id: subject.productId ?? null, name: subject.productName },
        version: { id: subject.versionId ?? null, version: subject.versionName },
        environment: { id: subject.environmentId ?? null, name: subject.environmentName },
        preflight_failure: row,
      },
    },
    tx,
  );
}

/** Reads straight from the database, for the dry run (ingest passes its unit of work instead). */
export function databaseReads(deps: GovernanceDeps): PreflightReads {
  const db = deps.database.db;
  return {
    database: deps.database,
    async environmentId(name) {
      const [row] = await db
        .select({ id: environments.id })
        .from(environments)
        .where(eq(environments.name, name))
        .limit(1);
      return row?.id;
    },
    async latestAttempt(productId, environmentId) {
      const [row] = await db
        .select()
        .from(currentState)
        .where(and(eq(currentState.product_id, productId), eq(currentState.environment_id, environmentId)))
        .limit(1);
      return row
        ? {
            deployment_id: row.last_deployment_id,
            version: row.last_version,
            status: row.last_status,
            at: row.last_at,
          }
        : undefined;
    },
  };
}

/** `POST /preflight`: would this deployment be admitted now? Nothing is written. */
export async function dryRunPreflight(
  deps: GovernanceDeps,
  input: { product_name: string; version: string; environment_name: string },
): Promise<PreflightAnswer> {
  const db = deps.database.db;
  const reads = databaseReads(deps);
  const [product] = await db
    .select({ id: products.id })
    .from(products)
    .where(eq(products.name, input.product_name))
    .limit(1);
  const version =
    product &&
    (
      await db
        .select({ id: versions.id })
        .from(versions)
        .where(and(eq(versions.product_id, product.id), eq(versions.version, input.version)))
        .limit(1)
    )[0];
  const subject: PreflightSubject = {
    productName: input.product_name,
    versionName: input.version,
    environmentName: input.environment_name,
    productId: product?.id,
    versionId: version?.id,
    environmentId: await reads.environmentId(input.environment_name),
  };
  const outcome = await runPreflight(subject, reads, deps.clock.now());
  return {
    allowed: outcome.block === null,
    block: outcome.block ? blockBody(outcome.block) : null,
    http_status: outcome.block?.status ?? null,
    warnings: outcome.evaluated.filter((e) => e.mode === "report_only" && e.evaluation_result === "failed"),
    rules_evaluated: outcome.evaluated,
  };
}

export async function listPreflightFailures(
  deps: GovernanceDeps,
  query: { product?: string; environment?: string; limit: number; cursor?: string },
) {
  const conditions: SQL[] = [];
  if (query.product) conditions.push(eq(preflightFailures.product, query.product));
  if (query.environment) conditions.push(eq(preflightFailures.environment, query.environment));
  if (query.cursor)
    conditions.push(afterCursor(query.cursor, preflightFailures.created_at, preflightFailures.id));
  const rows = await deps.database.db
    .select()
    .from(preflightFailures)
    .where(and(...conditions))
    .orderBy(desc(preflightFailures.created_at), desc(preflightFailures.id))
    .limit(query.limit + 1);
  return toPage(
    rows,
    query.limit,
    (row) => ({ at: row.created_at, id: row.id }),
    (row) => row,
  );
}
