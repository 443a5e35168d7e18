import { createApiKey, listApiKeys, revokeApiKey } from "../../auth/api-keys-service.ts";
import { API_KEY_SCOPES, type ApiKeyScope } from "../../auth/capabilities.ts";
import { ValidationError } from "../../errors.ts";
import { actorFrom } from "../../http/actor.ts";
import { Csrf, Pager, When } from "../components.tsx";
import { can, type DashboardRouter, field, requireCapability, withQuery } from "../dashboard-http.tsx";
import { oneTimeSecrets, SecretOnce } from "./one-time-secret.tsx";
import { ListTable, optionalText, PostButton, requiredText, SettingsLayout } from "./settings-layout.tsx";
import type { SettingsDeps } from "./settings-routes.tsx";

const PAGE = "/settings/api-keys";
const PAGE_SIZE = 100;

const SCOPE_HELP: Record<ApiKeyScope, string> = {
  ingest: "ingest: sends build and deployment events only (for CI)",
  read: "read: reads the catalog only",
  admin: "admin: everything, like an admin user",
  badges: "badges: reads status badges only; the one key that may travel in a badge URL (?token=)",
};

/** API keys: developers and admins see the list (api_keys.read); only admins create and revoke. */
export function registerApiKeysPage(router: DashboardRouter, { deps, signingSecret }: SettingsDeps) {
  const auth = { database: deps.database, clock: deps.clock, org: deps.config.org };
  const created = oneTimeSecrets("versioner_new_api_key", PAGE, signingSecret, deps.config.secureCookies);

  router.page(PAGE, async (c, ctx) => {
    requireCapability(ctx, "api_keys.read");
    const query = new URL(c.req.url).searchParams;
    const page = await listApiKeys(auth, { limit: PAGE_SIZE, cursor: query.get("cursor") ?? undefined });
    const fresh = await created.take(c);
    const manage = can(ctx, "api_keys.manage");
    return (
      <SettingsLayout
        ctx={ctx}
        title="API keys"
        lead="Keys for CI pipelines and automation. A key is shown once, when it is created; only its hash is stored."
      >
        {fresh ? (
          <SecretOnce
            value={fresh}
            kind="API key"
            usage="Store it as the VERSIONER_API_KEY secret of your CI; it is sent as Authorization: Bearer <key>."
          />
        ) : null}
        {manage ? (
          <details class="card">
            <summary>New API key</summary>
            <form method="post" action="/dashboard/settings/api-keys" class="stack">
              <Csrf token={ctx.csrfToken} />
              <label>
                Name
                <input type="text" name="name" required maxlength={255} placeholder="github-actions" />
              </label>
              <label>
                Description
                <input type="text" name="description" maxlength={1024} />
              </label>
              <fieldset>
                <legend>Scope</legend>
                {API_KEY_SCOPES.map((scope) => (
                  <label class="choice">
                    <input type="radio" name="scope" value={scope} checked={scope === "ingest"} />
                    {SCOPE_HELP[scope]}
                  </label>
                ))}
              </fieldset>
              <div>
                <button type="submit">Create API key</button>
              </div>
            </form>
          </details>
        ) : null}
        <ListTable
          caption="API keys"
          headers={["Name", "Key", "Scope", "Created", "Last used", "Status", ...(manage ? ["Actions"] : [])]}
          rows={page.items.map((key) => (
            <tr data-key={key.name}>
              <th scope="row">
                {key.name}
                {key.description ? <small class="block">{key.description}</small> : null}
              </th>
              <td>
                <code title={`key id ${key.key_id}`}>{key.prefix}…</code>
              </td>
              <td>{key.scope}</td>
              <td>
                <When at={key.created_at} now={ctx.now} />
              </td>
              <td>{key.last_used_at ? <When at={key.last_used_at} now={ctx.now} /> : "never"}</td>
              <td>
                {key.revoked_at ? (
                  <span class="status status-failed">
                    revoked <When at={key.revoked_at} now={ctx.now} />
                  </span>
                ) : (
                  "active"
                )}
              </td>
              {manage ? (
                <td>
                  {key.revoked_at ? null : (
                    <PostButton
                      action={`/dashboard/settings/api-keys/${encodeURIComponent(key.id)}/revoke`}
                      csrf={ctx.csrfToken}
                      label="Revoke"
                      ariaLabel={`Revoke ${key.name}`}
                      class="danger"
                    />
                  )}
                </td>
              ) : null}
            </tr>
          ))}
          empty="No API keys yet."
        />
        <Pager base={PAGE} query={query} nextCursor={page.next_cursor} />
      </SettingsLayout>
    );
  });

  router.action(
    "/dashboard/settings/api-keys",
    "api_keys.manage",
    async (c, form) => {
      const scope = field(form, "scope") || "ingest";
      if (!(API_KEY_SCOPES as readonly string[]).includes(scope)) {
        throw ValidationError.field(["body", "scope"], `must be one of ${API_KEY_SCOPES.join(", ")}`);
      }
      const key = await createApiKey(auth, actorFrom(c), {
        name: requiredText(form, "name"),
        description: optionalText(form, "description"),
        scope: scope as ApiKeyScope,
      });
      await created.leave(c, { id: key.id, name: key.name, secret: key.token });
      return PAGE;
    },
    () => PAGE,
  );

  router.action(
    "/dashboard/settings/api-keys/:id/revoke",
    "api_keys.manage",
    async (c) => {
      await revokeApiKey(auth, actorFrom(c), c.req.param("id") ?? "");
      return withQuery(PAGE, "notice", "API key revoked: it stops working at once");
    },
    () => PAGE,
  );
}
