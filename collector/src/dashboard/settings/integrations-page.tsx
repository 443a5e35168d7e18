import { ValidationError } from "../../errors.ts";
import { actorFrom } from "../../http/actor.ts";
import { INTEGRATION_KINDS, type IntegrationKind } from "../../integrations/integration-kinds.ts";
import { integrationDeps } from "../../integrations/integrations-routes.ts";
import {
  createIntegration,
  type DeliveryView,
  deleteIntegration,
  getIntegration,
  type IntegrationView,
  listIntegrationDeliveries,
  listIntegrations,
  rotateSecret,
  updateIntegration,
} from "../../integrations/integrations-service.ts";
import { Csrf, When } from "../components.tsx";
import {
  type DashboardContext,
  type DashboardRouter,
  field,
  requireCapability,
  withQuery,
} from "../dashboard-http.tsx";
import type { PageContext } from "../layout.tsx";
import { oneTimeSecrets, SecretOnce } from "./one-time-secret.tsx";
import { ListTable, optionalText, PostButton, requiredText, SettingsLayout } from "./settings-layout.tsx";
import type { SettingsDeps } from "./settings-routes.tsx";

export const INTEGRATIONS_PAGE = "/settings/integrations";
const DELIVERIES_SHOWN = 25;

const KIND_LABEL: Record<IntegrationKind, string> = {
  vercel: "Vercel",
  github: "GitHub deployments",
  argocd: "Argo CD",
};

/** Where to paste the URL and the secret, per platform; the guide in docs/ has the full set-up. */
const SET_UP: Record<IntegrationKind, { steps: string; secret: string; doc: string }> = {
  vercel: {
    steps:
      "In Vercel: Team Settings → Webhooks → Create Webhook. Paste the URL, choose the Deployment Created, Succeeded, Error and Canceled events and your projects.",
    secret: "Vercel shows its own secret once the webhook is created: paste it below under “Set the secret”.",
    doc: "docs/integrations/vercel.md",
  },
  github: {
    steps:
      "In GitHub: the repository's (or organisation's) Settings → Webhooks → Add webhook. Paste the URL, content type application/json, and choose the Deployments and Deployment statuses events.",
    secret: "Paste this integration's secret into the webhook's Secret field.",
    doc: "docs/integrations/github-deployments.md",
  },
  argocd: {
    steps:
      "In Argo CD: add the Versioner webhook service, template and triggers of docs/integrations/argocd.md to argocd-notifications-cm, and subscribe your applications.",
    secret: "Store this integration's secret in argocd-notifications-secret as versioner-token.",
    doc: "docs/integrations/argocd.md",
  },
};

function integrationPath(id: string): string {
  return `${INTEGRATIONS_PAGE}/${encodeURIComponent(id)}`;
}

function actionPath(id: string, verb?: string): string {
  return `/dashboard/settings/integrations/${encodeURIComponent(id)}${verb ? `/${verb}` : ""}`;
}

/** The URL to paste: the configured public URL, else the address this browser reached the collector by. */
function webhookUrl(c: DashboardContext, integration: IntegrationView): string {
  return integration.webhook_url ?? `${new URL(c.req.url).origin}${integration.webhook_path}`;
}

/** "from = to" per line, the textarea form of a rename table. */
function renderRenames(table: Record<string, string>): string {
  return Object.entries(table)
    .map(([from, to]) => `${from} = ${to}`)
    .join("\n");
}

function readRenames(form: Record<string, unknown>, name: string): Record<string, string> {
  const table: Record<string, string> = {};
  for (const [index, line] of field(form, name).split("\n").entries()) {
    if (!line.trim()) continue;
    const at = line.indexOf("=");
    const from = line.slice(0, at).trim();
    const to = line.slice(at + 1).trim();
    if (at < 0 || !from || !to) {
      throw ValidationError.field(
        ["body", "mapping", name],
        `line ${index + 1}: write “platform name = Versioner name”`,
      );
    }
    table[from] = to;
  }
  return table;
}

/** Integrations (integrations.manage: admins and SREs): platforms that report the deployments they run. */
export function registerIntegrationsPage(router: DashboardRouter, { deps, signingSecret }: SettingsDeps) {
  const service = integrationDeps(deps);
  const secrets = oneTimeSecrets(
    "versioner_new_integration_secret",
    INTEGRATIONS_PAGE,
    signingSecret,
    deps.config.secureCookies,
  );

  router.page(INTEGRATIONS_PAGE, async (c, ctx) => {
    requireCapability(ctx, "integrations.manage");
    const items = await listIntegrations(service);
    return (
      <SettingsLayout
        ctx={ctx}
        title="Integrations"
        lead="Platforms that report the deployments they run: Vercel, GitHub deployments and Argo CD. Each delivery is verified with the integration's secret."
      >
        <details class="card" open={items.length === 0}>
          <summary>New integration</summary>
          <form method="post" action="/dashboard/settings/integrations" class="stack">
            <Csrf token={ctx.csrfToken} />
            <label>
              Name
              <input type="text" name="name" required maxlength={255} placeholder="vercel-acme" />
            </label>
            <fieldset>
              <legend>Platform</legend>
              {INTEGRATION_KINDS.map((kind) => (
                <label class="choice">
                  <input type="radio" name="kind" value={kind} checked={kind === "vercel"} />
                  {KIND_LABEL[kind]}
                </label>
              ))}
            </fieldset>
            <label>
              Secret (optional)
              <input type="text" name="secret" maxlength={256} autocomplete="off" />
              <small class="muted">Leave empty to have one generated, shown once.</small>
            </label>
            <div>
              <button type="submit">Create integration</button>
            </div>
          </form>
        </details>
        <ListTable
          caption="Integrations"
          headers={["Integration", "Platform", "URL to paste", "State"]}
          rows={items.map((integration) => (
            <tr data-integration={integration.name}>
              <th scope="row">
                <a href={integrationPath(integration.id)}>{integration.name}</a>
              </th>
              <td>{KIND_LABEL[integration.kind]}</td>
              <td class="wrap">
                <code>{webhookUrl(c, integration)}</code>
              </td>
              <td>{integration.enabled ? "enabled" : <span class="muted">disabled</span>}</td>
            </tr>
          ))}
          empty="No integrations yet: only CI steps and the API record deployments."
        />
      </SettingsLayout>
    );
  });

  router.page(`${INTEGRATIONS_PAGE}/:id`, async (c, ctx) => {
    requireCapability(ctx, "integrations.manage");
    const integration = await getIntegration(service, c.req.param("id") ?? "");
    const deliveries = await listIntegrationDeliveries(service, integration.id, DELIVERIES_SHOWN);
    const fresh = await secrets.take(c);
    const setUp = SET_UP[integration.kind];
    const url = webhookUrl(c, integration);
    return (
      <SettingsLayout
        ctx={ctx}
        title={integration.name}
        lead={`${KIND_LABEL[integration.kind]} · ${integration.enabled ? "enabled" : "disabled"}`}
        actions={
          <PostButton
            action={actionPath(integration.id, "enabled")}
            csrf={ctx.csrfToken}
            label={integration.enabled ? "Disable" : "Enable"}
            hidden={{ enabled: String(!integration.enabled) }}
          />
        }
      >
        {fresh && fresh.id === integration.id ? (
          <SecretOnce value={fresh} kind="integration secret" usage={setUp.secret} />
        ) : null}
        <section class="card" aria-labelledby="setup-title">
          <h2 id="setup-title">Set up</h2>
          <label>
            URL to paste
            <input type="text" readonly value={url} class="secret-value" data-webhook-url />
          </label>
          {integration.webhook_url ? null : (
            <p class="muted">
              Built from this page's address; set VERSIONER_PUBLIC_URL if the platform reaches the collector
              by another.
            </p>
          )}
          <p>{setUp.steps}</p>
          <p>
            {setUp.secret} The step-by-step guide is <code>{setUp.doc}</code> in the Versioner repository.
          </p>
        </section>
        <section class="card" aria-labelledby="mapping-title">
          <h2 id="mapping-title">Mapping</h2>
          <MappingTable integration={integration} />
          <details>
            <summary>Edit mapping</summary>
            <form method="post" action={actionPath(integration.id)} class="stack">
              <Csrf token={ctx.csrfToken} />
              <label>
                Products (one “platform name = product” per line)
                <textarea name="products">{renderRenames(integration.mapping.products)}</textarea>
              </label>
              <label>
                Environments (one “platform environment = environment” per line)
                <textarea name="environments">{renderRenames(integration.mapping.environments)}</textarea>
              </label>
              <label>
                Version from
                <input
                  type="text"
                  name="version_from"
                  maxlength={255}
                  value={integration.mapping.version_from ?? ""}
                  placeholder={integration.kind === "argocd" ? "revision" : "sha"}
                />
              </label>
              <div>
                <button type="submit">Save mapping</button>
              </div>
            </form>
          </details>
        </section>
        <details class="card">
          <summary>Secret</summary>
          <p class="muted">
            The secret is write-only. Set the one the platform generated, or generate a new one.
          </p>
          <form method="post" action={actionPath(integration.id, "secret")} class="stack">
            <Csrf token={ctx.csrfToken} />
            <label>
              Set the secret
              <input
                type="password"
                name="secret"
                required
                minlength={16}
                maxlength={256}
                autocomplete="off"
              />
            </label>
            <div>
              <button type="submit" class="secondary">
                Save secret
              </button>
            </div>
          </form>
          <PostButton
            action={actionPath(integration.id, "rotate")}
            csrf={ctx.csrfToken}
            label="Generate a new secret"
          />
        </details>
        <details class="card">
          <summary>Delete integration</summary>
          <p>
            Deleting stops the platform's deliveries and removes the delivery log; what it recorded stays.
          </p>
          <PostButton
            action={actionPath(integration.id, "delete")}
            csrf={ctx.csrfToken}
            label={`Delete ${integration.name}`}
            class="danger"
          />
        </details>
        <h2 id="deliveries-title">Last deliveries</h2>
        <DeliveryTable deliveries={deliveries} ctx={ctx} />
      </SettingsLayout>
    );
  });

  const back = (c: DashboardContext) => integrationPath(c.req.param("id") ?? "");

  router.action(
    "/dashboard/settings/integrations",
    "integrations.manage",
    async (c, form) => {
      const kind = field(form, "kind");
      if (!(INTEGRATION_KINDS as readonly string[]).includes(kind)) {
        throw ValidationError.field(["body", "kind"], `must be one of ${INTEGRATION_KINDS.join(", ")}`);
      }
      const given = optionalText(form, "secret", 256);
      if (given !== null && given.length < 16) {
        throw ValidationError.field(["body", "secret"], "must be at least 16 characters");
      }
      const created = await createIntegration(service, actorFrom(c), {
        name: requiredText(form, "name"),
        kind: kind as IntegrationKind,
        secret: given ?? undefined,
      });
      if (!given) await secrets.leave(c, { id: created.id, name: created.name, secret: created.secret });
      return withQuery(integrationPath(created.id), "notice", `Created ${created.name}`);
    },
    () => INTEGRATIONS_PAGE,
  );

  router.action(
    "/dashboard/settings/integrations/:id",
    "integrations.manage",
    async (c, form) => {
      const source = field(form, "version_from");
      const updated = await updateIntegration(service, actorFrom(c), c.req.param("id") ?? "", {
        mapping: {
          products: readRenames(form, "products"),
          environments: readRenames(form, "environments"),
          version_from: source || undefined,
        },
      });
      return withQuery(integrationPath(updated.id), "notice", "Mapping saved");
    },
    back,
  );

  router.action(
    "/dashboard/settings/integrations/:id/secret",
    "integrations.manage",
    async (c, form) => {
      const secret = requiredText(form, "secret", 256);
      if (secret.length < 16)
        throw ValidationError.field(["body", "secret"], "must be at least 16 characters");
      const updated = await updateIntegration(service, actorFrom(c), c.req.param("id") ?? "", { secret });
      return withQuery(integrationPath(updated.id), "notice", "Secret saved");
    },
    back,
  );

  router.action(
    "/dashboard/settings/integrations/:id/rotate",
    "integrations.manage",
    async (c) => {
      const rotated = await rotateSecret(service, actorFrom(c), c.req.param("id") ?? "");
      await secrets.leave(c, { id: rotated.id, name: rotated.name, secret: rotated.secret });
      return withQuery(
        integrationPath(rotated.id),
        "notice",
        "New secret generated: the old one stops working at once",
      );
    },
    back,
  );

  router.action(
    "/dashboard/settings/integrations/:id/enabled",
    "integrations.manage",
    async (c, form) => {
      const enabled = form.enabled === "true";
      const updated = await updateIntegration(service, actorFrom(c), c.req.param("id") ?? "", { enabled });
      return withQuery(
        integrationPath(updated.id),
        "notice",
        `${updated.name} ${enabled ? "enabled" : "disabled"}`,
      );
    },
    back,
  );

  router.action(
    "/dashboard/settings/integrations/:id/delete",
    "integrations.manage",
    async (c) => {
      const id = c.req.param("id") ?? "";
      const integration = await getIntegration(service, id);
      await deleteIntegration(service, actorFrom(c), id);
      return withQuery(INTEGRATIONS_PAGE, "notice", `Deleted ${integration.name}`);
    },
    back,
  );
}

function MappingTable(props: { integration: IntegrationView }) {
  const { mapping, kind } = props.integration;
  const rows = [
    ...Object.entries(mapping.products).map(([from, to]) => ["product", from, to] as const),
    ...Object.entries(mapping.environments).map(([from, to]) => ["environment", from, to] as const),
  ];
  return (
    <>
      <ListTable
        caption="Renames"
        headers={["Kind", "Platform name", "Versioner name"]}
        rows={rows.map(([what, from, to]) => (
          <tr>
            <td>{what}</td>
            <td>
              <code>{from}</code>
            </td>
            <td>
              <code>{to}</code>
            </td>
          </tr>
        ))}
        empty="No renames: products and environments keep the names the platform gives them."
      />
      <p class="muted">
        Version from: <code>{mapping.version_from ?? (kind === "argocd" ? "revision" : "sha")}</code>
      </p>
    </>
  );
}

/** The last deliveries, newest first, with what became of each. */
function DeliveryTable(props: { deliveries: DeliveryView[]; ctx: PageContext }) {
  return (
    <ListTable
      caption="Last deliveries of this integration"
      headers={["Received", "Event", "Outcome", "Deployment", "Detail"]}
      rows={props.deliveries.map((delivery) => (
        <tr data-delivery={delivery.delivery_id ?? delivery.id}>
          <td>
            <When at={delivery.received_at} now={props.ctx.now} />
          </td>
          <td class="wrap">
            {delivery.event_type ?? ""}
            {delivery.delivery_id ? <small class="block">{delivery.delivery_id}</small> : null}
          </td>
          <td>
            <span class={`status delivery-${delivery.outcome}`}>{delivery.outcome}</span>
            <small class="block">HTTP {delivery.status_code}</small>
          </td>
          <td class="wrap">
            {delivery.product_name
              ? `${delivery.product_name} ${delivery.version} → ${delivery.environment_name} (${delivery.deployment_status})`
              : ""}
          </td>
          <td class="wrap">{delivery.detail ? <small>{delivery.detail.slice(0, 240)}</small> : null}</td>
        </tr>
      ))}
      empty="Nothing received yet."
    />
  );
}
