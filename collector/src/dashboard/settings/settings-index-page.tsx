import { CAPABILITIES } from "../../auth/capabilities.ts";
import type { DashboardRouter } from "../dashboard-http.tsx";
import { SettingsLayout, visibleSections } from "./settings-layout.tsx";

/** /settings: the account, the settings pages this role may open (the rest are not listed), and what the role may do. */
export function registerSettingsIndexPage(router: DashboardRouter) {
  router.page("/settings", async (_c, ctx) => (
    <SettingsLayout ctx={ctx} title="Settings" lead="Your account, and what your role lets you set up.">
      <section class="card" aria-labelledby="account-title">
        <h2 id="account-title">Your account</h2>
        <dl class="meta">
          <dt>Signed in as</dt>
          <dd>{ctx.principal.name}</dd>
          <dt>Role</dt>
          <dd>{(ctx.principal.role ?? ctx.principal.kind).replace("_", " ")}</dd>
        </dl>
      </section>
      <ul class="settings-index">
        {visibleSections(ctx).map((section) => (
          <li class="card">
            <a href={section.href}>{section.label}</a>
            <p class="muted">{section.summary}</p>
          </li>
        ))}
      </ul>
      <section class="card" aria-labelledby="permissions-title">
        <h2 id="permissions-title">Permissions of your role</h2>
        <ul>
          {CAPABILITIES.map((capability) => (
            <li>
              <span aria-hidden="true">{ctx.principal.capabilities.has(capability) ? "✓ " : "✗ "}</span>
              <code>{capability}</code>
              <span class="muted">
                {ctx.principal.capabilities.has(capability) ? " allowed" : " not allowed"}
              </span>
            </li>
          ))}
        </ul>
      </section>
    </SettingsLayout>
  ));
}
