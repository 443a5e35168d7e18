import { CAPABILITIES } from "../../auth/capabilities.ts";
import type { AppDeps } from "../../http/app-env.ts";
import { PageHeader } from "../components.tsx";
import type { DashboardRouter } from "../dashboard-http.tsx";
import { Layout } from "../layout.tsx";

/**
 * The entry point of the settings section: the signed-in account and what its role allows.
 * Settings pages (users, keys, tokens, channels, variables, audit) register next to this one
 * and add a link to SETTINGS_SECTIONS.
 */
export const SETTINGS_SECTIONS: ReadonlyArray<{
  href: string;
  label: string;
  capability: (typeof CAPABILITIES)[number];
}> = [];

export function registerSettingsPages(router: DashboardRouter, _deps: AppDeps) {
  router.page("/settings", async (_c, ctx) => {
    const sections = SETTINGS_SECTIONS.filter((s) => ctx.principal.capabilities.has(s.capability));
    return (
      <Layout ctx={ctx} title="Settings">
        <PageHeader title="Settings" lead="Your account and what your role may do." />
        <section class="card" aria-labelledby="account-title">
          <h2 id="account-title">Account</h2>
          <dl class="meta">
            <dt>Signed in as</dt>
            <dd>{ctx.principal.name}</dd>
            <dt>Role</dt>
            <dd>{ctx.principal.role ?? ctx.principal.kind}</dd>
          </dl>
        </section>
        {sections.length > 0 ? (
          <nav aria-label="Settings sections" class="card">
            <ul>
              {sections.map((s) => (
                <li>
                  <a href={s.href}>{s.label}</a>
                </li>
              ))}
            </ul>
          </nav>
        ) : null}
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
      </Layout>
    );
  });
}
