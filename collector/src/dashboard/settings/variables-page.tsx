import { ValidationError } from "../../errors.ts";
import { actorFrom } from "../../http/actor.ts";
import {
  createVariable,
  deleteVariable,
  getVariable,
  listVariables,
  MASK,
  updateVariable,
  type VariableView,
} from "../../variables/variables-service.ts";
import { allProducts } from "../catalog-reads.ts";
import { Csrf, When } from "../components.tsx";
import { can, type DashboardContext, type DashboardRouter, withQuery } from "../dashboard-http.tsx";
import type { PageContext } from "../layout.tsx";
import {
  checked,
  ListTable,
  optionalText,
  PostButton,
  requiredText,
  SettingsLayout,
} from "./settings-layout.tsx";
import type { SettingsDeps } from "./settings-routes.tsx";

const PAGE = "/settings/variables";
const MAX_VALUE = 4096;

/** `path` for one scope: the org (no product) or a product by name, carried in the query. */
function inScope(path: string, product: string | undefined): string {
  return product ? withQuery(path, "product", product) : path;
}

function readValue(form: Record<string, unknown>): string {
  // Values are kept as typed (spaces may matter in a URL part); only the length is checked.
  const value = typeof form.value === "string" ? form.value : "";
  if (value.length > MAX_VALUE) {
    throw ValidationError.field(["body", "value"], `must be at most ${MAX_VALUE} characters`);
  }
  return value;
}

/**
 * Variables: every role reads them (catalog.read) with secret values masked; admins, release
 * managers and SREs (variables.manage) create, edit and delete. A secret's value is write-only:
 * the edit form never holds it, and an empty value field keeps it.
 */
export function registerVariablesPage(router: DashboardRouter, { deps }: SettingsDeps) {
  const back = (c: DashboardContext) => inScope(PAGE, c.req.query("product") || undefined);
  router.page(PAGE, async (c, ctx) => {
    const product = c.req.query("product") || undefined;
    const [variables, products] = await Promise.all([listVariables(deps, product), allProducts(deps)]);
    const manage = can(ctx, "variables.manage");
    return (
      <SettingsLayout
        ctx={ctx}
        title="Variables"
        lead="Values for deployment button templates. A product variable overrides an org variable of the same key; secret values are never shown."
      >
        <form method="get" action={PAGE} class="inline-form filters" aria-label="Choose the scope">
          <label>
            Scope
            <select name="product">
              <option value="">Organisation (every product)</option>
              {products.map((p) => (
                <option value={p.name} selected={p.name === product}>
                  Product: {p.name}
                </option>
              ))}
            </select>
          </label>
          <button type="submit" class="secondary">
            Show
          </button>
        </form>
        {manage ? (
          <details class="card">
            <summary>New variable</summary>
            <form method="post" action={inScope("/dashboard/settings/variables", product)} class="stack">
              <Csrf token={ctx.csrfToken} />
              <p class="muted">In {product ? `product ${product}` : "the organisation"}.</p>
              <label>
                Key (lowercase letters, digits and _)
                <input type="text" name="key" required maxlength={64} pattern="[a-z][a-z0-9_]*" />
              </label>
              <label>
                Value
                <input type="text" name="value" maxlength={MAX_VALUE} autocomplete="off" />
              </label>
              <label class="choice">
                <input type="checkbox" name="secret" value="1" /> Secret (write-only, masked everywhere)
              </label>
              <label>
                Description
                <input type="text" name="description" maxlength={1024} />
              </label>
              <div>
                <button type="submit">Create variable</button>
              </div>
            </form>
          </details>
        ) : null}
        <ListTable
          caption={`Variables of ${product ? `product ${product}` : "the organisation"}`}
          headers={["Key", "Value", "Description", "Updated", ...(manage ? ["Actions"] : [])]}
          rows={variables.map((variable) => (
            <VariableRow variable={variable} ctx={ctx} product={product} manage={manage} />
          ))}
          empty="No variables in this scope."
        />
      </SettingsLayout>
    );
  });

  router.action(
    "/dashboard/settings/variables",
    "variables.manage",
    async (c, form) => {
      const product = c.req.query("product") || undefined;
      const created = await createVariable(deps, actorFrom(c), product, {
        key: requiredText(form, "key", 64),
        value: readValue(form),
        secret: checked(form, "secret"),
        description: optionalText(form, "description"),
      });
      return withQuery(inScope(PAGE, product), "notice", `Created ${created.key}`);
    },
    back,
  );

  router.action(
    "/dashboard/settings/variables/:key",
    "variables.manage",
    async (c, form) => {
      const product = c.req.query("product") || undefined;
      const key = c.req.param("key") ?? "";
      const value = readValue(form);
      const current = await getVariable(deps, product, key);
      const updated = await updateVariable(deps, actorFrom(c), product, key, {
        // An empty value field of a secret keeps the stored secret (the form never holds it).
        value: current.secret && value === "" ? undefined : value,
        secret: checked(form, "secret"),
        description: optionalText(form, "description"),
      });
      return withQuery(inScope(PAGE, product), "notice", `Saved ${updated.key}`);
    },
    back,
  );

  router.action(
    "/dashboard/settings/variables/:key/delete",
    "variables.manage",
    async (c) => {
      const product = c.req.query("product") || undefined;
      const key = c.req.param("key") ?? "";
      await deleteVariable(deps, actorFrom(c), product, key);
      return withQuery(inScope(PAGE, product), "notice", `Deleted ${key}`);
    },
    back,
  );
}

function VariableRow(props: { variable: VariableView; ctx: PageContext; product?: string; manage: boolean }) {
  const { variable, ctx } = props;
  const path = `/dashboard/settings/variables/${encodeURIComponent(variable.key)}`;
  return (
    <tr data-variable={variable.key}>
      <th scope="row">
        <code>{variable.key}</code>
      </th>
      <td>
        {variable.secret ? (
          <span title="Secret: write-only">
            <code>{MASK}</code> <small>secret</small>
          </span>
        ) : (
          <code>{variable.value}</code>
        )}
      </td>
      <td class="wrap">{variable.description ?? ""}</td>
      <td>
        <When at={variable.updated_at} now={ctx.now} />
      </td>
      {props.manage ? (
        <td>
          <div class="row-actions">
            <details>
              <summary>Edit</summary>
              <form method="post" action={inScope(path, props.product)} class="stack">
                <Csrf token={ctx.csrfToken} />
                <label for={`value-${variable.id}`}>Value of {variable.key}</label>
                {variable.secret ? (
                  <input
                    id={`value-${variable.id}`}
                    type="password"
                    name="value"
                    autocomplete="new-password"
                    maxlength={MAX_VALUE}
                    placeholder="unchanged (write-only)"
                  />
                ) : (
                  <input
                    id={`value-${variable.id}`}
                    type="text"
                    name="value"
                    value={variable.value}
                    maxlength={MAX_VALUE}
                  />
                )}
                <label class="choice">
                  <input type="checkbox" name="secret" value="1" checked={variable.secret} /> Secret
                </label>
                <label>
                  Description
                  <input type="text" name="description" value={variable.description ?? ""} maxlength={1024} />
                </label>
                <div>
                  <button type="submit" class="secondary">
                    Save {variable.key}
                  </button>
                </div>
              </form>
            </details>
            <PostButton
              action={inScope(`${path}/delete`, props.product)}
              csrf={ctx.csrfToken}
              label="Delete"
              ariaLabel={`Delete ${variable.key}`}
              class="danger"
            />
          </div>
        </td>
      ) : null}
    </tr>
  );
}
