import type { Child } from "hono/jsx";
import type { Principal } from "../auth/capabilities.ts";
import { dashboardAssets } from "./static-assets.ts";

/** What every page knows about the request: who is signed in, their CSRF token, the clock. */
export interface PageContext {
  principal: Principal;
  csrfToken: string;
  now: Date;
  /** The path being shown, to mark the current section in the navigation. */
  path: string;
  /** One-off messages carried in the URL after a form post (Post/Redirect/Get). */
  notice?: string;
  error?: string;
}

/** The sections of the navigation; a new section adds one line here. */
export const NAV: ReadonlyArray<{ href: string; label: string }> = [
  { href: "/", label: "Matrix" },
  { href: "/products", label: "Products" },
  { href: "/environments", label: "Environments" },
  { href: "/deployments", label: "Deployments" },
  { href: "/releases", label: "Releases" },
  { href: "/diff", label: "Compare" },
  { href: "/metrics/dora", label: "Metrics" },
  { href: "/rules", label: "Governance" },
  { href: "/settings", label: "Settings" },
];

function isCurrent(href: string, path: string): boolean {
  return href === "/" ? path === "/" : path === href || path.startsWith(`${href}/`);
}

/** The document shell without navigation (sign-in page, errors for signed-out visitors). */
export function Document(props: { title: string; children: Child; csrfToken?: string }) {
  const assets = dashboardAssets();
  return (
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <meta name="color-scheme" content="light dark" />
        <title>{`${props.title} · Versioner`}</title>
        <link rel="stylesheet" href={assets.css.url} />
        <script src={assets.htmx.url} defer></script>
        <script src={assets.js.url} defer></script>
      </head>
      <body hx-headers={props.csrfToken ? JSON.stringify({ "X-CSRF-Token": props.csrfToken }) : undefined}>
        {props.children}
      </body>
    </html>
  );
}

/** Every signed-in page: header with the user and role, navigation, flash messages, content. */
export function Layout(props: { ctx: PageContext; title: string; children: Child }) {
  const { ctx } = props;
  return (
    <Document title={props.title} csrfToken={ctx.csrfToken}>
      <a class="skip-link" href="#main">
        Skip to content
      </a>
      <header class="site-header">
        <a class="brand" href="/">
          <span aria-hidden="true" class="logo">
            V
          </span>
          Versioner
        </a>
        <nav aria-label="Sections" class="site-nav">
          <ul>
            {NAV.map((item) => (
              <li>
                <a href={item.href} aria-current={isCurrent(item.href, ctx.path) ? "page" : undefined}>
                  {item.label}
                </a>
              </li>
            ))}
          </ul>
        </nav>
        <div class="who">
          <span class="user">{ctx.principal.name}</span>
          <span class="role" title="Your role">
            {(ctx.principal.role ?? ctx.principal.kind).replace("_", " ")}
          </span>
          <form method="post" action="/sign-out">
            <input type="hidden" name="_csrf" value={ctx.csrfToken} />
            <button type="submit" class="link-button">
              Sign out
            </button>
          </form>
        </div>
      </header>
      <main id="main">
        {ctx.notice ? (
          <p class="flash flash-notice" role="status">
            {ctx.notice}
          </p>
        ) : null}
        {ctx.error ? (
          <p class="flash flash-error" role="alert">
            {ctx.error}
          </p>
        ) : null}
        {props.children}
      </main>
    </Document>
  );
}
