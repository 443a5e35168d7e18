import type { Button, Environment, Product } from "@versioner/schema";
import {
  type ButtonView,
  createButton,
  deleteButton,
  listButtons,
  previewButton,
  updateButton,
} from "../../buttons/buttons-service.ts";
import { BUILT_IN_VARIABLES } from "../../buttons/render-url.ts";
import { listEnvironments } from "../../catalog/environments-service.ts";
import { listVersions } from "../../catalog/versions-service.ts";
import { DomainError } from "../../errors.ts";
import { actorFrom } from "../../http/actor.ts";
import { allProducts } from "../catalog-reads.ts";
import { Csrf } from "../components.tsx";
import { can, type DashboardRouter, describe, field, withQuery } from "../dashboard-http.tsx";
import type { PageContext } from "../layout.tsx";
import {
  checked,
  fieldList,
  ListTable,
  PostButton,
  requiredText,
  SettingsLayout,
} from "./settings-layout.tsx";
import type { SettingsDeps } from "./settings-routes.tsx";

const PAGE = "/settings/buttons";
const MAX_TEMPLATE = 2048;
const RECENT_VERSIONS = 20;

type Preview = { input: PreviewQuery; result?: Button; error?: string };
interface PreviewQuery {
  product: string;
  version: string;
  environment: string;
  template: string;
}

function readTemplate(form: Record<string, unknown>): string {
  return requiredText(form, "url_template", MAX_TEMPLATE);
}

/**
 * Deployment buttons: every role reads them and may preview (catalog.read, like the API's
 * preview endpoint, whose service renders the preview here too); variables.manage edits them.
 */
export function registerButtonsPage(router: DashboardRouter, { deps }: SettingsDeps) {
  router.page(PAGE, async (c, ctx) => {
    const query = new URL(c.req.url).searchParams;
    const [buttons, products, environments] = await Promise.all([
      listButtons(deps, {}),
      allProducts(deps),
      listEnvironments(deps, {}),
    ]);
    const preview = query.has("preview") ? await renderPreview(query) : undefined;
    const previewProduct = preview?.input.product || products[0]?.name;
    const versions = previewProduct
      ? (await listVersions(deps, { product: previewProduct, limit: RECENT_VERSIONS })).items.map(
          (v) => v.version,
        )
      : [];
    const manage = can(ctx, "variables.manage");
    return (
      <SettingsLayout
        ctx={ctx}
        title="Deployment buttons"
        lead={
          <>
            Links that deploy a version, shown on versions, deployments and in chat messages. Templates use{" "}
            <code>{"{variable}"}</code> placeholders: built-ins ({BUILT_IN_VARIABLES.join(", ")}) and the{" "}
            <a href="/settings/variables">variables</a>.
          </>
        }
      >
        {manage ? (
          <details class="card">
            <summary>New button</summary>
            <ButtonForm
              action="/dashboard/settings/buttons"
              ctx={ctx}
              products={products}
              environments={environments}
              submit="Create button"
            />
          </details>
        ) : null}
        <ListTable
          caption="Deployment buttons"
          headers={["Product", "Button", "Template", "Environments", "State", ...(manage ? ["Actions"] : [])]}
          rows={buttons.items.map((button) => (
            <ButtonRow button={button} ctx={ctx} manage={manage} environments={environments} />
          ))}
          empty="No deployment buttons yet."
        />
        <section class="card" aria-labelledby="preview-title">
          <h2 id="preview-title">Preview</h2>
          <p class="muted">Render a template for one version and environment before saving it.</p>
          <form method="get" action={PAGE} class="stack">
            <input type="hidden" name="preview" value="1" />
            <div class="inline-form">
              <label>
                Product
                <select name="product">
                  {products.map((p) => (
                    <option value={p.name} selected={p.name === previewProduct}>
                      {p.name}
                    </option>
                  ))}
                </select>
              </label>
              <label>
                Version
                <input
                  type="text"
                  name="version"
                  list="preview-versions"
                  value={preview?.input.version ?? versions[0]}
                />
                <datalist id="preview-versions">
                  {versions.map((version) => (
                    <option value={version}></option>
                  ))}
                </datalist>
              </label>
              <label>
                Environment
                <select name="environment">
                  {environments.map((env) => (
                    <option value={env.name} selected={env.name === preview?.input.environment}>
                      {env.name}
                    </option>
                  ))}
                </select>
              </label>
            </div>
            <label>
              Template
              <input
                type="text"
                name="template"
                maxlength={MAX_TEMPLATE}
                value={preview?.input.template ?? buttons.items[0]?.url_template ?? ""}
                placeholder="https://ci.example.com/deploy?version={vi_version}&env={vi_environment_name}"
              />
            </label>
            <div>
              <button type="submit" class="secondary">
                Preview
              </button>
            </div>
          </form>
          {preview ? (
            <div class="preview-result" role="status">
              {preview.result ? (
                <p>
                  Renders to{" "}
                  <a href={preview.result.url} rel="noopener noreferrer">
                    {preview.result.url}
                  </a>
                </p>
              ) : (
                <p class="flash flash-error">{preview.error}</p>
              )}
            </div>
          ) : null}
        </section>
      </SettingsLayout>
    );
  });

  /** The preview goes through previewButton, the service behind POST /deployment-buttons/preview. */
  async function renderPreview(query: URLSearchParams): Promise<Preview> {
    const input = {
      product: query.get("product") ?? "",
      version: query.get("version") ?? "",
      environment: query.get("environment") ?? "",
      template: (query.get("template") ?? "").slice(0, MAX_TEMPLATE),
    };
    try {
      const result = await previewButton(deps, {
        product: input.product,
        version: input.version,
        environment: input.environment,
        url_template: input.template || undefined,
      });
      return { input, result };
    } catch (error) {
      if (!(error instanceof DomainError)) throw error;
      return { input, error: describe(error) };
    }
  }

  router.action(
    "/dashboard/settings/buttons",
    "variables.manage",
    async (c, form) => {
      const button = await createButton(deps, actorFrom(c), {
        product: requiredText(form, "product"),
        name: requiredText(form, "name"),
        url_template: readTemplate(form),
        environments: fieldList(form, "environments"),
        enabled: checked(form, "enabled"),
      });
      return withQuery(PAGE, "notice", `Created ${button.name} for ${button.product_name}`);
    },
    () => PAGE,
  );

  router.action(
    "/dashboard/settings/buttons/:id",
    "variables.manage",
    async (c, form) => {
      const button = await updateButton(deps, actorFrom(c), c.req.param("id") ?? "", {
        name: requiredText(form, "name"),
        url_template: readTemplate(form),
        environments: fieldList(form, "environments"),
        enabled: checked(form, "enabled"),
      });
      return withQuery(PAGE, "notice", `Saved ${button.name}`);
    },
    () => PAGE,
  );

  router.action(
    "/dashboard/settings/buttons/:id/delete",
    "variables.manage",
    async (c, form) => {
      await deleteButton(deps, actorFrom(c), c.req.param("id") ?? "");
      return withQuery(PAGE, "notice", `Deleted ${field(form, "name") || "the button"}`);
    },
    () => PAGE,
  );
}

/** Create (with a product choice) or edit (product fixed) a button. */
function ButtonForm(props: {
  action: string;
  ctx: PageContext;
  products?: Product[];
  environments: Environment[];
  button?: ButtonView;
  submit: string;
}) {
  const { button } = props;
  const chosen = new Set(button?.environments ?? []);
  return (
    <form method="post" action={props.action} class="stack">
      <Csrf token={props.ctx.csrfToken} />
      {props.products ? (
        <label>
          Product
          <select name="product" required>
            {props.products.map((p) => (
              <option value={p.name}>{p.name}</option>
            ))}
          </select>
        </label>
      ) : null}
      <label>
        Button name
        <input type="text" name="name" required maxlength={255} value={button?.name} placeholder="Deploy" />
      </label>
      <label>
        URL template
        <input
          type="text"
          name="url_template"
          required
          maxlength={MAX_TEMPLATE}
          value={button?.url_template}
          placeholder="https://ci.example.com/job/deploy?VERSION={vi_version}&ENV={vi_environment}"
        />
      </label>
      <fieldset>
        <legend>Environments (none ticked = every environment)</legend>
        <div class="choices">
          {props.environments.map((env) => (
            <label class="choice">
              <input type="checkbox" name="environments[]" value={env.name} checked={chosen.has(env.name)} />
              {env.name}
            </label>
          ))}
        </div>
      </fieldset>
      <label class="choice">
        <input type="checkbox" name="enabled" value="1" checked={button?.enabled ?? true} /> Enabled
      </label>
      <div>
        <button type="submit">{props.submit}</button>
      </div>
    </form>
  );
}

function ButtonRow(props: {
  button: ButtonView;
  ctx: PageContext;
  manage: boolean;
  environments: Environment[];
}) {
  const { button, ctx } = props;
  const action = `/dashboard/settings/buttons/${encodeURIComponent(button.id)}`;
  return (
    <tr data-button={`${button.product_name}/${button.name}`}>
      <td>
        <a href={`/products/${encodeURIComponent(button.product_name)}`}>{button.product_name}</a>
      </td>
      <th scope="row">{button.name}</th>
      <td class="wrap">
        <code>{button.url_template}</code>
      </td>
      <td>{button.environments.length ? button.environments.join(", ") : "all"}</td>
      <td>{button.enabled ? "enabled" : <span class="muted">disabled</span>}</td>
      {props.manage ? (
        <td>
          <div class="row-actions">
            <details>
              <summary>Edit</summary>
              <ButtonForm
                action={action}
                ctx={ctx}
                environments={props.environments}
                button={button}
                submit={`Save ${button.name}`}
              />
            </details>
            <PostButton
              action={`${action}/delete`}
              csrf={ctx.csrfToken}
              label="Delete"
              ariaLabel={`Delete ${button.name} of ${button.product_name}`}
              class="danger"
              hidden={{ name: button.name }}
            />
          </div>
        </td>
      ) : null}
    </tr>
  );
}
