import {
  createPersonalToken,
  listPersonalTokens,
  revokePersonalToken,
} from "../../auth/personal-tokens-service.ts";
import { ValidationError } from "../../errors.ts";
import { actorFrom } from "../../http/actor.ts";
import { Csrf, When } from "../components.tsx";
import { type DashboardRouter, field, requireCapability, withQuery } from "../dashboard-http.tsx";
import { oneTimeSecrets, SecretOnce } from "./one-time-secret.tsx";
import { ListTable, PostButton, requiredText, SettingsLayout } from "./settings-layout.tsx";
import type { SettingsDeps } from "./settings-routes.tsx";

const PAGE = "/settings/tokens";
const DAY_MS = 86_400_000;
/** Lifetimes offered in the form; "never" is allowed, as in the API, but not the default. */
const LIFETIMES = [
  { value: "30", label: "30 days" },
  { value: "90", label: "90 days" },
  { value: "365", label: "1 year" },
  { value: "never", label: "No expiry" },
] as const;

/** Personal access tokens of the signed-in user (tokens.create: every role but billing and viewer). */
export function registerTokensPage(router: DashboardRouter, { deps, signingSecret }: SettingsDeps) {
  const created = oneTimeSecrets("versioner_new_token", PAGE, signingSecret, deps.config.secureCookies);

  router.page(PAGE, async (c, ctx) => {
    requireCapability(ctx, "tokens.create");
    const actor = actorFrom(c);
    const tokens = await listPersonalTokens(deps, actor);
    const fresh = await created.take(c);
    return (
      <SettingsLayout
        ctx={ctx}
        title="Personal tokens"
        lead="Your tokens for the versioner CLI and scripts. They act as you, with your role as it is at each request."
      >
        {fresh ? (
          <SecretOnce
            value={fresh}
            kind="token"
            usage="Use it as VERSIONER_TOKEN for the CLI, or send Authorization: Bearer <token>."
          />
        ) : null}
        <details class="card">
          <summary>New token</summary>
          <form method="post" action="/dashboard/settings/tokens" class="stack">
            <Csrf token={ctx.csrfToken} />
            <label>
              Name
              <input type="text" name="name" required maxlength={255} placeholder="laptop CLI" />
            </label>
            <label>
              Expires after
              <select name="lifetime">
                {LIFETIMES.map((lifetime) => (
                  <option value={lifetime.value} selected={lifetime.value === "90"}>
                    {lifetime.label}
                  </option>
                ))}
              </select>
            </label>
            <div>
              <button type="submit">Create token</button>
            </div>
          </form>
        </details>
        <ListTable
          caption="Your personal tokens"
          headers={["Name", "Token", "Created", "Expires", "Last used", "Status", "Actions"]}
          rows={tokens.map((token) => {
            const expired = token.expires_at !== null && token.expires_at <= ctx.now.toISOString();
            return (
              <tr data-token={token.name}>
                <th scope="row">{token.name}</th>
                <td>
                  <code>{token.prefix}…</code>
                </td>
                <td>
                  <When at={token.created_at} now={ctx.now} />
                </td>
                <td>{token.expires_at ? <When at={token.expires_at} now={ctx.now} /> : "never"}</td>
                <td>{token.last_used_at ? <When at={token.last_used_at} now={ctx.now} /> : "never"}</td>
                <td>
                  {token.revoked_at ? (
                    <span class="status status-failed">revoked</span>
                  ) : expired ? (
                    <span class="status status-failed">expired</span>
                  ) : (
                    "active"
                  )}
                </td>
                <td>
                  {token.revoked_at ? null : (
                    <PostButton
                      action={`/dashboard/settings/tokens/${encodeURIComponent(token.id)}/revoke`}
                      csrf={ctx.csrfToken}
                      label="Revoke"
                      ariaLabel={`Revoke ${token.name}`}
                      class="danger"
                    />
                  )}
                </td>
              </tr>
            );
          })}
          empty="You have no tokens."
        />
      </SettingsLayout>
    );
  });

  router.action(
    "/dashboard/settings/tokens",
    "tokens.create",
    async (c, form) => {
      const lifetime = field(form, "lifetime") || "90";
      const days = lifetime === "never" ? null : Number(lifetime);
      if (days !== null && !LIFETIMES.some((option) => option.value === lifetime)) {
        throw ValidationError.field(["body", "lifetime"], "must be 30, 90, 365 or never");
      }
      const token = await createPersonalToken(deps, actorFrom(c), {
        name: requiredText(form, "name"),
        expires_at: days === null ? null : new Date(deps.clock.now().getTime() + days * DAY_MS).toISOString(),
      });
      await created.leave(c, { id: token.id, name: token.name, secret: token.token });
      return PAGE;
    },
    () => PAGE,
  );

  router.action(
    "/dashboard/settings/tokens/:id/revoke",
    "tokens.create",
    async (c) => {
      await revokePersonalToken(deps, actorFrom(c), c.req.param("id") ?? "");
      return withQuery(PAGE, "notice", "Token revoked: it stops working at once");
    },
    () => PAGE,
  );
}
