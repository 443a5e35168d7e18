import { type Button, type EnvironmentType, environmentTypeRank } from "@versioner/schema";
import { and, eq, inArray } from "drizzle-orm";
import { compareEnvironments } from "../catalog/environments-service.ts";
import type { Db } from "../db/client.ts";
import { currentState, deploymentButtons, environments, versions } from "../db/schema/index.ts";
import { loadVariables, type VariableRow, variableLookup } from "../variables/variables-service.ts";
import { RenderError, renderUrl } from "./render-url.ts";

export type ButtonRow = typeof deploymentButtons.$inferSelect;
type EnvironmentRow = typeof environments.$inferSelect;

/** The version fields the built-in variables come from. */
export interface RenderableVersion {
  id: string;
  product_id: string;
  version: string;
  build_number: string | null;
  scm_sha: string | null;
  scm_repository: string | null;
  scm_branch: string | null;
}

export interface RenderableProduct {
  id: string;
  name: string;
}

/** Everything rendering needs, loaded once per request (never per cell or per version). */
export interface ButtonScope {
  buttons: Map<string, ButtonRow[]>;
  /** In promotion order. */
  environments: EnvironmentRow[];
  variable: (productId: string, key: string) => VariableRow | undefined;
}

/**
 * Loads the enabled buttons of the given products (all when omitted) and, only when there are
 * some, the environments and variables to render them: the common no-button case costs one
 * indexed query.
 */
async function loadButtonScope(db: Db, productIds?: string[]): Promise<ButtonScope | null> {
  if (productIds?.length === 0) return null;
  const rows = await db
    .select()
    .from(deploymentButtons)
    .where(
      and(
        eq(deploymentButtons.enabled, true),
        productIds ? inArray(deploymentButtons.product_id, productIds) : undefined,
      ),
    );
  if (rows.length === 0) return null;
  const buttons = new Map<string, ButtonRow[]>();
  for (const row of rows) buttons.set(row.product_id, [...(buttons.get(row.product_id) ?? []), row]);
  const [envRows, variableRows] = await Promise.all([
    db.select().from(environments),
    loadVariables(db, [...buttons.keys()]),
  ]);
  return {
    buttons,
    environments: envRows.sort(compareEnvironments),
    variable: variableLookup(variableRows),
  };
}

function builtIns(
  product: RenderableProduct,
  version: RenderableVersion,
  environment: Pick<EnvironmentRow, "id" | "name">,
): Record<string, string | null> {
  return {
    vi_version: version.version,
    vi_build_number: version.build_number,
    vi_product_id: product.id,
    vi_product_name: product.name,
    vi_environment_id: environment.id,
    vi_environment_name: environment.name,
    vi_sha: version.scm_sha,
    vi_scm_repository: version.scm_repository,
    vi_scm_branch: version.scm_branch,
  };
}

/** Renders one template: built-ins first, then the product's variables, then the org's. */
export function renderTemplate(
  template: string,
  product: RenderableProduct,
  version: RenderableVersion,
  environment: Pick<EnvironmentRow, "id" | "name">,
  variable: ButtonScope["variable"],
): string {
  const builtIn = builtIns(product, version, environment);
  return renderUrl(template, (key) => {
    if (key in builtIn) {
      const value = builtIn[key];
      return value === null || value === undefined ? undefined : { value, secret: false };
    }
    const row = variable(product.id, key);
    return row ? { value: row.value, secret: row.secret } : undefined;
  });
}

function appliesTo(button: ButtonRow, environmentId: string): boolean {
  return button.environment_ids.length === 0 || button.environment_ids.includes(environmentId);
}

/**
 * The environments a version could go to next, in promotion order: those of the same type as
 * `fromRank` where it does not run yet, and those of the next type that exists after it.
 * `fromRank` -1 (runs nowhere) gives the first type that exists (usually dev).
 */
function nextEnvironments(
  envs: EnvironmentRow[],
  fromRank: number,
  running: ReadonlySet<string>,
): EnvironmentRow[] {
  const rank = (env: EnvironmentRow) => environmentTypeRank(env.type as EnvironmentType);
  const later = envs.map(rank).filter((r) => r > fromRank);
  const nextRank = later.length > 0 ? Math.min(...later) : undefined;
  return envs.filter((env) => !running.has(env.id) && (rank(env) === fromRank || rank(env) === nextRank));
}

/** The highest type rank among the environments where a version runs, or -1. */
function furthestRank(envs: EnvironmentRow[], running: ReadonlySet<string>): number {
  let furthest = -1;
  for (const env of envs) {
    if (running.has(env.id)) furthest = Math.max(furthest, environmentTypeRank(env.type as EnvironmentType));
  }
  return furthest;
}

/**
 * The rendered buttons of a version for the given environments. A button that cannot render
 * (a variable missing or turned secret) is left out here; the preview endpoint explains why.
 */
function renderButtons(
  scope: ButtonScope,
  product: RenderableProduct,
  version: RenderableVersion,
  envs: EnvironmentRow[],
): Button[] {
  const buttons = scope.buttons.get(product.id);
  if (!buttons) return [];
  const out: Button[] = [];
  for (const env of envs) {
    for (const button of buttons) {
      if (!appliesTo(button, env.id)) continue;
      try {
        const url = renderTemplate(button.url_template, product, version, env, scope.variable);
        out.push({ name: button.name, url, environment_name: env.name });
      } catch (error) {
        if (!(error instanceof RenderError)) throw error;
      }
    }
  }
  return out;
}

/**
 * Buttons for each version, for the environments it could go to next (see nextEnvironments,
 * from the furthest environment where it currently runs). Three queries at most, whatever the
 * number of versions.
 */
export async function buttonsForVersions(
  db: Db,
  versions: Array<RenderableVersion & { product_name: string }>,
): Promise<Map<string, Button[]>> {
  const result = new Map<string, Button[]>(versions.map((v) => [v.id, []]));
  const scope = await loadButtonScope(db, [...new Set(versions.map((v) => v.product_id))]);
  if (!scope) return result;
  const withButtons = versions.filter((v) => scope.buttons.has(v.product_id));
  const cells = await db
    .select({ environment_id: currentState.environment_id, version_id: currentState.current_version_id })
    .from(currentState)
    .where(inArray(currentState.product_id, [...new Set(withButtons.map((v) => v.product_id))]));
  const runningByVersion = groupEnvironments(cells, (cell) => cell.version_id);
  for (const version of withButtons) {
    const running = runningByVersion.get(version.id) ?? new Set<string>();
    const next = nextEnvironments(scope.environments, furthestRank(scope.environments, running), running);
    result.set(
      version.id,
      renderButtons(scope, { id: version.product_id, name: version.product_name }, version, next),
    );
  }
  return result;
}

/** The environments of each key's cells, grouped in one pass (never one scan of the cells per cell). */
function groupEnvironments<T extends { environment_id: string }>(
  cells: T[],
  key: (cell: T) => string | null,
): Map<string, Set<string>> {
  const groups = new Map<string, Set<string>>();
  for (const cell of cells) {
    const k = key(cell);
    if (k === null) continue;
    const group = groups.get(k) ?? new Set<string>();
    group.add(cell.environment_id);
    groups.set(k, group);
  }
  return groups;
}

/** The key of a product × environment cell in the maps `/state` is built from. */
export function cellKey(productId: string, environmentId: string): string {
  return `${productId}\u0000${environmentId}`;
}

/**
 * `/state` buttons: for each cell with a current version, the buttons to take that version from
 * this cell's environment to the next ones (see nextEnvironments). Loaded once per request; cells
 * of one version in environments of one type (prod-eu, prod-us) share one rendering.
 */
export async function buttonsForState(
  db: Db,
  productRows: RenderableProduct[],
  cells: Array<{ product_id: string; environment_id: string; current_version_id: string | null }>,
): Promise<Map<string, Button[]>> {
  const result = new Map<string, Button[]>();
  const scope = await loadButtonScope(db);
  if (!scope) return result;
  const shown = cells.filter((c) => c.current_version_id && scope.buttons.has(c.product_id));
  const versionIds = [...new Set(shown.map((c) => c.current_version_id as string))];
  if (versionIds.length === 0) return result;
  const versionRows = await db.select().from(versions).where(inArray(versions.id, versionIds));
  const versionById = new Map(versionRows.map((v) => [v.id, v]));
  const productById = new Map(productRows.map((p) => [p.id, p]));
  const envById = new Map(scope.environments.map((e) => [e.id, e]));
  const versionKey = (productId: string, versionId: string) => `${productId}\u0000${versionId}`;
  const runningByVersion = groupEnvironments(shown, (c) =>
    versionKey(c.product_id, c.current_version_id as string),
  );
  const rendered = new Map<string, Button[]>();
  for (const cell of shown) {
    const version = versionById.get(cell.current_version_id as string);
    const product = productById.get(cell.product_id);
    const env = envById.get(cell.environment_id);
    if (!version || !product || !env) continue;
    const rank = environmentTypeRank(env.type as EnvironmentType);
    const key = `${versionKey(product.id, version.id)}\u0000${rank}`;
    let buttons = rendered.get(key);
    if (!buttons) {
      const running = runningByVersion.get(versionKey(product.id, version.id)) ?? new Set<string>();
      buttons = renderButtons(scope, product, version, nextEnvironments(scope.environments, rank, running));
      rendered.set(key, buttons);
    }
    result.set(cellKey(cell.product_id, cell.environment_id), buttons);
  }
  return result;
}
