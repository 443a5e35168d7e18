import type { DashboardRouter } from "../dashboard-http.tsx";
import { SettingsLayout, visibleSections } from "./settings-layout.tsx";

/** /settings: the account, and the settings pages this role may open (the rest are not listed). */
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
    </SettingsLayout>
  ));
}
