import {
  type BuildEventResponse,
  type DeploymentEventResponse,
  STATUSES,
  type Status,
} from "@versioner/schema";
import type { Db } from "../db/client.ts";
import type { WriteStatement } from "../db/compiled-writes.ts";
import type { ConfigReader } from "../db/config-generation.ts";
import type {
  builds,
  currentState,
  deploymentRollbacks,
  deployments,
  environments,
  preflightFailures,
  products,
  releases,
  versions,
} from "../db/schema/index.ts";
import { DomainError } from "../errors.ts";
import type { VersionApprovalView } from "../governance/approvals-service.ts";
import type { DeploymentRequestView, SlotView } from "../governance/deployment-requests-service.ts";

type Row<T extends { $inferSelect: unknown }> = T["$inferSelect"];
type ProductRow = Row<typeof products>;
type VersionRow = Row<typeof versions>;
type EnvironmentRow = Row<typeof environments>;
type DeploymentRow = Row<typeof deployments>;

/** Where an event happened: notification subscriptions match on these. */
interface EventScope {
  occurred_at: string;
  product_id?: string;
  product_name?: string;
  environment_id?: string;
  environment_name?: string;
  environment_type?: string;
  /** Canonical status of the build, deployment, release or request, when there is one. */
  status?: string;
}

/** `build.<status>`: ingest recorded a build event. */
export interface BuildStatusEvent extends EventScope {
  type: `build.${Status}`;
  data: { product: ProductRow; version: VersionRow; build: Row<typeof builds>; response: BuildEventResponse };
}

/** What ingest knows of a deployment event; `deployment.rolled_back` repeats it with the rollback. */
export type DeploymentEventData = {
  product: ProductRow;
  version: VersionRow;
  environment: EnvironmentRow;
  deployment: DeploymentRow;
  response: DeploymentEventResponse;
  /** Loads the version that ran there before, when another did: only a matching channel pays for it. */
  previous_version: () => Promise<VersionRow | null>;
  /** Releases check a rollback of a member with the id alone, without loading the row. */
  previous_version_id: string | null;
  /** The product × environment cell before this event (rollback detection compares against it). */
  state_before: Row<typeof currentState> | undefined;
  /** Set by the rollback detector on a `deployment.completed` that was one, for later subscribers. */
  rollback?: Row<typeof deploymentRollbacks>;
};

/** `deployment.<status>`: ingest recorded a deployment event. */
export interface DeploymentStatusEvent extends EventScope {
  type: `deployment.${Status}`;
  data: DeploymentEventData;
}

/** `deployment.rolled_back`: a completed deployment went back to a version that ran there before. */
export interface DeploymentRolledBackEvent extends EventScope {
  type: "deployment.rolled_back";
  data: DeploymentEventData & { rollback: Row<typeof deploymentRollbacks> };
}

/** `deployment.preflight_failed`: a rule refused a deployment; nothing of it was recorded but the refusal. */
export interface PreflightFailedEvent extends EventScope {
  type: "deployment.preflight_failed";
  data: {
    product: { id: string | null; name: string };
    version: { id: string | null; version: string };
    environment: { id: string | null; name: string };
    preflight_failure: Row<typeof preflightFailures>;
  };
}

/** `deployment_request.*`: a deployment request changed (created, submitted, a slot decided, …). */
export interface DeploymentRequestEvent extends EventScope {
  type: `deployment_request.${string}`;
  data: {
    product: ProductRow;
    version: VersionRow;
    environment: EnvironmentRow;
    deployment_request: DeploymentRequestView;
    slot?: SlotView;
    /** The deployment that completed the request (`deployment_request.completed`). */
    deployment?: DeploymentRow;
  };
}

/** `version.approved` / `version.rejected`: someone decided an approval of a version. */
export interface VersionDecisionEvent extends EventScope {
  type: "version.approved" | "version.rejected";
  data: {
    product: ProductRow;
    version: VersionRow;
    environment: EnvironmentRow | null;
    approval: VersionApprovalView;
  };
}

/** The member deployment that moved a release (absent on `release.created` / `release.cancelled`). */
export interface ReleaseMember {
  product: ProductRow;
  /** The version that runs now. */
  version: VersionRow;
  environment: EnvironmentRow;
  deployment: DeploymentRow;
  /** On `release.member_rolled_back`: the member version the rollback replaced. */
  member_version?: VersionRow;
  previous_version?: () => Promise<VersionRow | null>;
}

/** `release.*`: a release was created, cancelled, or moved by its members' deployments. */
export interface ReleaseEvent extends EventScope {
  type: `release.${string}`;
  data: { release: Row<typeof releases> } & Partial<ReleaseMember>;
}

/**
 * Something that happened in the domain, named as the notification event types of SPEC.md
 * (`build.completed`, `deployment.failed`, `release.member_failed`, …): one of the kinds above,
 * each with its typed payload. Publishers build one; subscribers narrow on `type`.
 */
export type BusEvent =
  | BuildStatusEvent
  | DeploymentStatusEvent
  | DeploymentRolledBackEvent
  | PreflightFailedEvent
  | DeploymentRequestEvent
  | VersionDecisionEvent
  | ReleaseEvent;

/** A `deployment.<status>` event (ingest's own), not a derived `deployment.*` one. */
export function isDeploymentStatusEvent(event: BusEvent): event is DeploymentStatusEvent {
  return STATUSES.some((status) => event.type === `deployment.${status}`);
}

/**
 * Any bus event read generically, key by key: the notification payload (which renders every kind
 * alike), the dashboard's live updates and tests. Every BusEvent is one.
 */
export interface DomainEvent extends EventScope {
  type: string;
  data: Record<string, unknown>;
}

/** The transaction a publisher is building: handlers read through `db` and add statements to it. */
export interface EventTransaction {
  db: Db;
  add(statement: WriteStatement): void;
  /**
   * The configuration (channels, rules, locks, release members) as this transaction reads it:
   * ingest's unit of work reads the configuration generation once per group commit. Without it,
   * each use reads it.
   */
  config?: ConfigReader;
  /**
   * True when this transaction itself inserts the version: nothing stored can refer to it yet
   * (its id is new), so reads by it (releases, requests, earlier deployments) can be skipped.
   */
  createsVersion?(versionId: string): boolean;
  /**
   * The product × environment cell (current version) as this transaction has planned it so far;
   * ingest's unit of work has it. Without it, subscribers read the stored cell.
   */
  state?(
    productId: string,
    environmentId: string,
  ): Promise<{ current_version_id: string | null } | undefined>;
}

export type DomainEventHandler = (event: BusEvent, tx: EventTransaction) => Promise<void> | void;

/**
 * In-process, in-transaction publish/subscribe. Handlers run while the publisher plans its
 * writes and add their own statements to the same batch, so what they record (release
 * progress, notification outbox rows) commits or fails with the event itself.
 */
export class DomainEventBus {
  readonly #handlers: DomainEventHandler[] = [];

  subscribe(handler: DomainEventHandler): void {
    this.#handlers.push(handler);
  }

  /**
   * Runs every handler. A handler's DomainError is rethrown as a plain Error: the publisher has
   * already planned writes, and ingest treats a DomainError as "this event was rejected before
   * anything was planned", which would keep half an event.
   */
  async publish(event: BusEvent, tx: EventTransaction): Promise<void> {
    for (const handler of this.#handlers) {
      try {
        await handler(event, tx);
      } catch (error) {
        if (error instanceof DomainError) {
          throw new Error(`A ${event.type} handler failed: ${error.message}`, { cause: error });
        }
        throw error;
      }
    }
  }
}
