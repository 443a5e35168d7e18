import { randomUUID } from "node:crypto";
import { ERROR_CODES } from "@versioner/schema";
import { asc, eq } from "drizzle-orm";
import { type Actor, auditInsert } from "../audit/audit-service.ts";
import type { Clock } from "../clock.ts";
import type { Database, Db } from "../db/client.ts";
import { bumpConfigGeneration, type ConfigReader } from "../db/config-generation.ts";
import { deploymentRules } from "../db/schema/index.ts";
import { ConflictError, NotFoundError, ValidationError } from "../errors.ts";
import { parseOrThrow } from "../validation.ts";
import {
  RULE_SETTINGS,
  type Rule,
  type RuleCreate,
  type RuleMode,
  type RuleSettings,
  type RuleType,
  type RuleUpdate,
} from "./rules-schema.ts";
import { type ScheduleSettings, scheduleProblems } from "./schedule.ts";

export interface GovernanceDeps {
  database: Database;
  clock: Clock;
}

type RuleRow = typeof deploymentRules.$inferSelect;

/** A rule as the evaluator reads it: typed settings, scope as sets. */
export type ActiveRule = {
  [K in RuleType]: {
    id: string;
    name: string;
    type: K;
    mode: Exclude<RuleMode, "disabled">;
    products: ReadonlySet<string>;
    environments: ReadonlySet<string>;
    settings: RuleSettings[K];
  };
}[RuleType];

function view(row: RuleRow): Rule {
  return {
    id: row.id,
    name: row.name,
    type: row.type as RuleType,
    mode: row.mode as RuleMode,
    scope: { products: row.scope_products, environments: row.scope_environments },
    settings: row.settings,
    description: row.description,
    created_at: row.created_at,
    updated_at: row.updated_at,
  };
}

// Preflight runs on every deployment event: the enabled and report-only rules are kept in memory
// while the configuration generation is unchanged; every rule change bumps it in its own batch, so
// every collector on the database applies the change to its very next event (docs/governance.md).
function invalidate(database: Database): void {
  database.configCache.invalidate();
}

/** Rules that take part in preflight (not disabled), ordered by name; `config`: a group commit's view. */
export function activeRules(
  database: Database,
  config: ConfigReader = database.configCache,
): Promise<ActiveRule[]> {
  return config.get(loadActiveRules);
}

async function loadActiveRules(db: Db): Promise<ActiveRule[]> {
  const rows = await db.select().from(deploymentRules).orderBy(asc(deploymentRules.name));
  return rows.filter((row) => row.mode !== "disabled").map(toActive);
}

function toActive(row: RuleRow): ActiveRule {
  return {
    id: row.id,
    name: row.name,
    type: row.type,
    mode: row.mode,
    products: new Set(row.scope_products),
    environments: new Set(row.scope_environments),
    settings: row.settings,
  } as ActiveRule;
}

export async function listRules(deps: GovernanceDeps): Promise<Rule[]> {
  const rows = await deps.database.db.select().from(deploymentRules).orderBy(asc(deploymentRules.name));
  return rows.map(view);
}

async function findRule(deps: GovernanceDeps, id: string): Promise<RuleRow> {
  const [row] = await deps.database.db
    .select()
    .from(deploymentRules)
    .where(eq(deploymentRules.id, id))
    .limit(1);
  if (!row) throw new NotFoundError(`Rule '${id}'`);
  return row;
}

export async function getRule(deps: GovernanceDeps, id: string): Promise<Rule> {
  return view(await findRule(deps, id));
}

/** Validates settings for a type (422 naming the field), with the defaults filled in. */
export function validSettings(type: RuleType, settings: unknown): Record<string, unknown> {
  const loc = ["body", "settings"];
  const parsed = parseOrThrow(RULE_SETTINGS[type], settings, loc) as Record<string, unknown>;
  if (type === "schedule") {
    const problems = scheduleProblems(parsed as unknown as ScheduleSettings);
    if (problems.length > 0)
      throw new ValidationError(
        problems.map(([field, msg]) => ({ loc: [...loc, field], msg, type: "value_error" })),
      );
  }
  return parsed;
}

async function assertNameFree(deps: GovernanceDeps, name: string, except?: string): Promise<void> {
  const [taken] = await deps.database.db
    .select({ id: deploymentRules.id })
    .from(deploymentRules)
    .where(eq(deploymentRules.name, name))
    .limit(1);
  if (taken && taken.id !== except)
    throw new ConflictError(ERROR_CODES.NAME_TAKEN, `Rule '${name}' already exists`);
}

export async function createRule(deps: GovernanceDeps, actor: Actor, input: RuleCreate): Promise<Rule> {
  const settings = validSettings(input.type, input.settings);
  return deps.database.writeLock.run(async () => {
    await assertNameFree(deps, input.name);
    const now = deps.clock.now().toISOString();
    const row: RuleRow = {
      id: randomUUID(),
      name: input.name,
      type: input.type,
      mode: input.mode,
      scope_products: unique(input.scope.products),
      scope_environments: unique(input.scope.environments),
      settings,
      description: input.description ?? null,
      created_at: now,
      updated_at: now,
    };
    const db = deps.database.db;
    await db.batch([
      db.insert(deploymentRules).values(row),
      bumpConfigGeneration(db),
      auditInsert(db, actor, { action: "rule.create", ...target(row), after: view(row) }, now),
    ]);
    invalidate(deps.database);
    return view(row);
  });
}

export async function updateRule(
  deps: GovernanceDeps,
  actor: Actor,
  id: string,
  input: RuleUpdate,
): Promise<Rule> {
  return deps.database.writeLock.run(async () => {
    const current = await findRule(deps, id);
    if (input.name !== undefined) await assertNameFree(deps, input.name, id);
    const next: RuleRow = {
      ...current,
      name: input.name ?? current.name,
      mode: input.mode ?? current.mode,
      scope_products: unique(input.scope?.products ?? current.scope_products),
      scope_environments: unique(input.scope?.environments ?? current.scope_environments),
      settings:
        input.settings === undefined
          ? current.settings
          : validSettings(current.type as RuleType, input.settings),
      description: input.description === undefined ? current.description : input.description,
      updated_at: deps.clock.now().toISOString(),
    };
    const db = deps.database.db;
    const { id: _id, ...changes } = next;
    await db.batch([
      db.update(deploymentRules).set(changes).where(eq(deploymentRules.id, id)),
      bumpConfigGeneration(db),
      // A mode change is the break-glass lever (report-only during an incident): always audited.
      auditInsert(
        db,
        actor,
        { action: "rule.update", ...target(next), before: view(current), after: view(next) },
        next.updated_at,
      ),
    ]);
    invalidate(deps.database);
    return view(next);
  });
}

export async function deleteRule(deps: GovernanceDeps, actor: Actor, id: string): Promise<void> {
  await deps.database.writeLock.run(async () => {
    const current = await findRule(deps, id);
    const now = deps.clock.now().toISOString();
    const db = deps.database.db;
    await db.batch([
      db.delete(deploymentRules).where(eq(deploymentRules.id, id)),
      bumpConfigGeneration(db),
      auditInsert(db, actor, { action: "rule.delete", ...target(current), before: view(current) }, now),
    ]);
    invalidate(deps.database);
  });
}

function target(row: RuleRow) {
  return { target_type: "rule", target_id: row.id, target_name: row.name };
}

function unique(names: readonly string[]): string[] {
  return [...new Set(names)];
}
