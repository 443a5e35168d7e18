import {
  BuildEventInput,
  type DeploymentEvent,
  DeploymentEventInput,
  ERROR_CODES,
  type EventKind,
  fieldsProblem,
  isSucceeded,
} from "@versioner/schema";
import { type Actor, auditInsert } from "../audit/audit-service.ts";
import type { Database } from "../db/client.ts";
import { ConflictError, ValidationError } from "../errors.ts";
import type { DomainEventBus } from "../events/domain-events.ts";
import {
  PreflightBlockedError,
  type PreflightReads,
  type PreflightSubject,
  planPreflightFailure,
  preflightStatus,
  runPreflight,
} from "../governance/preflight.ts";
import { canStartDeployment, latestRecordId, lifecycleStep, sameSha } from "./lifecycle.ts";
import type { EnvironmentRow, LatestEvent, ProductRow, UnitOfWork, VersionRow } from "./unit-of-work.ts";

// Every check that can reject an event, run before anything is planned, so a rejected event leaves
// nothing behind (but, when a rule refused it, the record of the refusal).

const KNOWN_FIELDS: Record<EventKind, ReadonlySet<string>> = {
  build: new Set(Object.keys(BuildEventInput.shape)),
  deployment: new Set(Object.keys(DeploymentEventInput.shape)),
};

/**
 * The raw body is stored as the event's payload, fields the schema does not know included (the
 * known ones passed the schema's rules): refuse one that could not be serialized (nested too
 * deep) or read back (a lone surrogate).
 */
export function assertStorable(
  kind: EventKind,
  raw: Record<string, unknown>,
  prefix: Array<string | number>,
): void {
  // Stryker disable next-line MethodExpression: the known fields passed the schema, which refuses the same depth and lone surrogates; only unknown ones need the walk
  const unknown = Object.keys(raw).filter((field) => !KNOWN_FIELDS[kind].has(field));
  const problem = fieldsProblem(Object.fromEntries(unknown.map((field) => [field, raw[field]])));
  if (problem) throw ValidationError.field([...prefix, ...problem.path], problem.message);
}

/** A version's SHA is its identity: an event naming another SHA for it is refused. */
export function assertSameSha(version: VersionRow, productName: string, sha: string | undefined): void {
  if (sha && version.scm_sha && !sameSha(version.scm_sha, sha)) {
    throw new ConflictError(
      ERROR_CODES.VERSION_SHA_CONFLICT,
      `Version ${version.version} of ${productName} already exists with different SHA (registered ${version.scm_sha}, received ${sha})`,
    );
  }
}

/** What the 200 of an admitted deployment carries in `extra_metadata.preflight_status`. */
export type PreflightVerdict =
  | NonNullable<ReturnType<typeof preflightStatus>>
  | { status: "skipped"; rules_evaluated: never[] };

export interface Admission {
  database: Database;
  bus: DomainEventBus;
  product: ProductRow | undefined;
  version: VersionRow | undefined;
  environment: EnvironmentRow | undefined;
  caller: Actor | undefined;
  now: string;
  latestEvent: () => Promise<LatestEvent | undefined>;
}

/**
 * Preflight (docs/governance.md): only an event that would start a deployment is judged (pending,
 * started, or a one-shot `completed` with no open deployment); the later events of an admitted
 * one never are. A refusal plans its own record and throws; otherwise returns what the 200 carries.
 */
export async function admit(
  unit: UnitOfWork,
  event: DeploymentEvent,
  admission: Admission,
): Promise<PreflightVerdict | undefined> {
  const { product, version, environment, caller, now } = admission;
  if (!canStartDeployment(event.status)) return undefined;
  if (product && version && environment) {
    const matched = await unit.deploymentToAdvance(product.id, environment.id, version.id, event.invoke_id);
    // A completion with an open record finishes an admitted deployment, even one ingest supersedes.
    if (matched && isSucceeded(event.status)) return undefined;
    const step = lifecycleStep({
      hasInvokeId: event.invoke_id !== undefined,
      matched,
      latestRecordId: await latestRecordId(matched, admission.latestEvent),
    });
    if (step === "advance") return undefined;
  }
  const subject: PreflightSubject = {
    productName: event.product_name,
    versionName: event.version,
    environmentName: event.environment_name,
    productId: product?.id,
    versionId: version?.id,
    environmentId: environment?.id,
  };
  // Break-glass: honoured only for a caller who could turn the rules off anyway, and audited.
  if (event.skip_preflight_checks && caller?.principal.capabilities.has("rules.manage")) {
    unit.add(
      auditInsert(
        unit.db,
        caller,
        {
          action: "preflight.skip",
          target_type: "deployment",
          target_name: `${event.product_name} ${event.version} → ${event.environment_name}`,
          after: {
            product: event.product_name,
            version: event.version,
            environment: event.environment_name,
            status: event.status,
          },
        },
        now,
      ),
    );
    return { status: "skipped", rules_evaluated: [] };
  }
  const outcome = await runPreflight(subject, unitReads(admission.database, unit), new Date(now));
  if (outcome.block) {
    await planPreflightFailure(
      unit,
      admission.bus,
      subject,
      outcome.block,
      caller?.principal.name ?? null,
      now,
    );
    throw new PreflightBlockedError(outcome.block);
  }
  return preflightStatus(outcome);
}

/** Preflight's reads through the unit of work, so a batch's earlier events count. */
function unitReads(database: Database, unit: UnitOfWork): PreflightReads {
  return {
    database,
    config: unit.config,
    environmentId: async (name) => (await unit.environmentByName(name))?.id,
    async latestAttempt(productId, environmentId) {
      const state = await unit.state(productId, environmentId);
      return state
        ? {
            deployment_id: state.last_deployment_id,
            version: state.last_version,
            status: state.last_status,
            at: state.last_at,
          }
        : undefined;
    },
  };
}
