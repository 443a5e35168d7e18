import { randomUUID } from "node:crypto";
import { type Button, ERROR_CODES } from "@versioner/schema";
import { and, asc, eq, inArray, ne } from "drizzle-orm";
import { type Actor, auditInsert } from "../audit/audit-service.ts";
import { environmentIdsByName, findEnvironment } from "../catalog/environments-service.ts";
import { type CatalogDeps, findProduct } from "../catalog/products-service.ts";
import { deploymentButtons, environments, products, versions } from "../db/schema/index.ts";
import { ConflictError, NotFoundError, ValidationError } from "../errors.ts";
import { loadVariables, variableLookup } from "../variables/variables-service.ts";
import { type ButtonRow, renderTemplate } from "./button-renderer.ts";
import {
  BUILT_IN_VARIABLES,
  RESERVED_PREFIX,
  RenderError,
  secretMessage,
  templateVariables,
} from "./render-url.ts";

export interface ButtonView {
  id: string;
  product_id: string;
  product_name: string;
  name: string;
  url_template: string;
  /** Environment names; empty means every environment. */
  environments: string[];
  enabled: boolean;
  created_at: string;
  updated_at: string;
}

async function views(deps: CatalogDeps, rows: ButtonRow[]): Promise<ButtonView[]> {
  if (rows.length === 0) return [];
  const db = deps.database.db;
  const [envRows, productRows] = await Promise.all([
    db.select({ id: environments.id, name: environments.name }).from(environments),
    db
      .select({ id: products.id, name: products.name })
      .from(products)
      .where(inArray(products.id, [...new Set(rows.map((r) => r.product_id))])),
  ]);
  const envNames = new Map(envRows.map((e) => [e.id, e.name]));
  const productNames = new Map(productRows.map((p) => [p.id, p.name]));
  return rows.map((row) => ({
    id: row.id,
    product_id: row.product_id,
    product_name: productNames.get(row.product_id) ?? "",
    name: row.name,
    url_template: row.url_template,
    environments: row.environment_ids.map((id) => envNames.get(id) ?? id),
    enabled: row.enabled,
    created_at: row.created_at,
    updated_at: row.updated_at,
  }));
}

async function view(deps: CatalogDeps, row: ButtonRow): Promise<ButtonView> {
  const [one] = await views(deps, [row]);
  // views() maps one row to one view.
  return one as ButtonView;
}

/** Buttons of one product (id or name) or of all, by product then name. */
export async function listButtons(deps: CatalogDeps, query: { product?: string }) {
  const productId = query.product ? (await findProduct(deps, query.product)).id : undefined;
  const rows = await deps.database.db
    .select()
    .from(deploymentButtons)
    .where(productId ? eq(deploymentButtons.product_id, productId) : undefined)
    .orderBy(asc(deploymentButtons.product_id), asc(deploymentButtons.name));
  return { items: await views(deps, rows) };
}

async function findButton(deps: CatalogDeps, id: string): Promise<ButtonRow> {
  const [row] = await deps.database.db
    .select()
    .from(deploymentButtons)
    .where(eq(deploymentButtons.id, id))
    .limit(1);
  if (!row) throw new NotFoundError(`Deployment button '${id}'`);
  return row;
}

export async function getButton(deps: CatalogDeps, id: string): Promise<ButtonView> {
  return view(deps, await findButton(deps, id));
}

export interface ButtonInput {
  name?: string;
  url_template?: string;
  environments?: string[];
  enabled?: boolean;
}

/**
 * A template is checked when saved: well-formed placeholders, known built-ins, and no secret
 * variable (a rendered button is a plain link in chat and the dashboard). Variables that do
 * not exist yet are allowed; rendering names them until they do.
 */
async function assertTemplate(deps: CatalogDeps, productId: string, template: string): Promise<void> {
  const loc = ["body", "url_template"];
  let keys: string[];
  try {
    keys = templateVariables(template);
  } catch (error) {
    if (error instanceof RenderError) throw ValidationError.field(loc, error.message);
    throw error;
  }
  if (!/^(https?:\/\/|\{[a-z][a-z0-9_]*\})/i.test(template)) {
    throw ValidationError.field(loc, "must start with http://, https:// or a {variable} holding a base URL");
  }
  const builtIns: readonly string[] = BUILT_IN_VARIABLES;
  const lookup = variableLookup(await loadVariables(deps.database.db, [productId]));
  for (const key of keys) {
    if (key.startsWith(RESERVED_PREFIX) && !builtIns.includes(key)) {
      throw ValidationError.field(
        loc,
        `Unknown built-in variable '${key}' (built-ins: ${builtIns.join(", ")})`,
      );
    }
    if (lookup(productId, key)?.secret) throw ValidationError.field(loc, secretMessage(key));
  }
}

// At most one enabled button per product and environment, so each environment gets one link.
async function assertNoOverlap(deps: CatalogDeps, row: ButtonRow): Promise<void> {
  if (!row.enabled) return;
  const others = await deps.database.db
    .select()
    .from(deploymentButtons)
    .where(
      and(
        eq(deploymentButtons.product_id, row.product_id),
        eq(deploymentButtons.enabled, true),
        ne(deploymentButtons.id, row.id),
      ),
    );
  const clash = others.find(
    (other) =>
      other.environment_ids.length === 0 ||
      row.environment_ids.length === 0 ||
      other.environment_ids.some((id) => row.environment_ids.includes(id)),
  );
  if (clash) {
    throw new ConflictError(
      ERROR_CODES.CONFLICT,
      `Button '${clash.name}' already covers ${clash.environment_ids.length === 0 || row.environment_ids.length === 0 ? "these environments" : "one of these environments"} for this product: a product has at most one enabled button per environment`,
    );
  }
}

async function assertNameFree(deps: CatalogDeps, row: ButtonRow): Promise<void> {
  const [taken] = await deps.database.db
    .select({ id: deploymentButtons.id })
    .from(deploymentButtons)
    .where(
      and(
        eq(deploymentButtons.product_id, row.product_id),
        eq(deploymentButtons.name, row.name),
        ne(deploymentButtons.id, row.id),
      ),
    )
    .limit(1);
  if (taken)
    throw new ConflictError(ERROR_CODES.NAME_TAKEN, `This product already has a button named '${row.name}'`);
}

export async function createButton(
  deps: CatalogDeps,
  actor: Actor,
  input: ButtonInput & { product: string; name: string; url_template: string },
): Promise<ButtonView> {
  return deps.database.writeLock.run(async () => {
    const product = await findProduct(deps, input.product);
    await assertTemplate(deps, product.id, input.url_template);
    const now = deps.clock.now().toISOString();
    const row: ButtonRow = {
      id: randomUUID(),
      product_id: product.id,
      name: input.name,
      url_template: input.url_template,
      environment_ids: await environmentIdsByName(deps, input.environments ?? [], ["body", "environments"]),
      enabled: input.enabled ?? true,
      created_at: now,
      updated_at: now,
    };
    await assertNameFree(deps, row);
    await assertNoOverlap(deps, row);
    const db = deps.database.db;
    await db.batch([
      db.insert(deploymentButtons).values(row),
      auditInsert(
        db,
        actor,
        {
          action: "button.create",
          target_type: "deployment_button",
          target_id: row.id,
          target_name: row.name,
          after: row,
        },
        now,
      ),
    ]);
    return view(deps, row);
  });
}

export async function updateButton(
  deps: CatalogDeps,
  actor: Actor,
  id: string,
  input: ButtonInput,
): Promise<ButtonView> {
  return deps.database.writeLock.run(async () => {
    const current = await findButton(deps, id);
    if (input.url_template !== undefined) await assertTemplate(deps, current.product_id, input.url_template);
    const next: ButtonRow = {
      ...current,
      name: input.name ?? current.name,
      url_template: input.url_template ?? current.url_template,
      environment_ids:
        input.environments === undefined
          ? current.environment_ids
          : await environmentIdsByName(deps, input.environments, ["body", "environments"]),
      enabled: input.enabled ?? current.enabled,
      updated_at: deps.clock.now().toISOString(),
    };
    await assertNameFree(deps, next);
    await assertNoOverlap(deps, next);
    const db = deps.database.db;
    await db.batch([
      db.update(deploymentButtons).set(next).where(eq(deploymentButtons.id, current.id)),
      auditInsert(
        db,
        actor,
        {
          action: "button.update",
          target_type: "deployment_button",
          target_id: current.id,
          target_name: next.name,
          before: current,
          after: next,
        },
        next.updated_at,
      ),
    ]);
    return view(deps, next);
  });
}

export async function deleteButton(deps: CatalogDeps, actor: Actor, id: string): Promise<void> {
  await deps.database.writeLock.run(async () => {
    const current = await findButton(deps, id);
    const db = deps.database.db;
    await db.batch([
      db.delete(deploymentButtons).where(eq(deploymentButtons.id, current.id)),
      auditInsert(
        db,
        actor,
        {
          action: "button.delete",
          target_type: "deployment_button",
          target_id: current.id,
          target_name: current.name,
          before: current,
        },
        deps.clock.now().toISOString(),
      ),
    ]);
  });
}

export interface PreviewInput {
  /** A saved button to render, or a template to try before saving. */
  button_id?: string;
  url_template?: string;
  product: string;
  version: string;
  environment: string;
}

/** Renders a template (or a saved button) for one version and environment, or explains why it cannot. */
export async function previewButton(deps: CatalogDeps, input: PreviewInput): Promise<Button> {
  const product = await findProduct(deps, input.product);
  const button = input.button_id ? await findButton(deps, input.button_id) : undefined;
  if (button && button.product_id !== product.id) {
    throw ValidationError.field(
      ["body", "button_id"],
      `The button belongs to another product than '${product.name}'`,
    );
  }
  const template = input.url_template ?? button?.url_template;
  if (!template) {
    throw ValidationError.field(["body", "url_template"], "Give url_template or button_id", "missing");
  }
  const [version] = await deps.database.db
    .select()
    .from(versions)
    .where(and(eq(versions.product_id, product.id), eq(versions.version, input.version)))
    .limit(1);
  if (!version) throw new NotFoundError(`Version '${input.version}' of '${product.name}'`);
  const environment = await findEnvironment(deps, input.environment);
  const lookup = variableLookup(await loadVariables(deps.database.db, [product.id]));
  try {
    const url = renderTemplate(template, product, version, environment, lookup);
    return { name: button?.name ?? "preview", url, environment_name: environment.name };
  } catch (error) {
    if (error instanceof RenderError) throw ValidationError.field(["body", "url_template"], error.message);
    throw error;
  }
}
