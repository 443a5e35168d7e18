import type { Context, Hono } from "hono";
import { getSignedCookie } from "hono/cookie";
import { html } from "hono/html";
import type { Child } from "hono/jsx";
import { authenticateSession } from "../auth/authenticate.ts";
import type { Capability, Principal } from "../auth/capabilities.ts";
import { SESSION_COOKIE } from "../auth/sessions-service.ts";
import { DomainError, ForbiddenError } from "../errors.ts";
import type { AppDeps, AppEnv } from "../http/app-env.ts";
import { Document, Layout, type PageContext } from "./layout.tsx";

export type DashboardContext = Context<AppEnv>;

/**
 * A browser asking for a page: Accept names text/html (navigation) or htmx is fetching a
 * fragment. Requests with a bearer token are API clients whatever they accept.
 */
export function wantsPage(c: DashboardContext): boolean {
  if (c.req.header("authorization")) return false;
  return (c.req.header("accept") ?? "").includes("text/html") || c.req.header("hx-request") === "true";
}

export interface Session {
  principal: Principal;
  csrfToken: string;
}

export async function readSession(
  c: DashboardContext,
  deps: AppDeps,
  signingSecret: () => Promise<string>,
): Promise<Session | undefined> {
  const secret = await getSignedCookie(c, await signingSecret(), SESSION_COOKIE);
  return secret ? authenticateSession(deps, secret) : undefined;
}

export function pageContext(c: DashboardContext, deps: AppDeps, session: Session): PageContext {
  return {
    principal: session.principal,
    csrfToken: session.csrfToken,
    now: deps.clock.now(),
    path: c.req.path,
    notice: c.req.query("notice"),
    error: c.req.query("error"),
  };
}

export function can(ctx: { principal: Principal }, capability: Capability): boolean {
  return ctx.principal.capabilities.has(capability);
}

export function requireCapability(ctx: { principal: Principal }, capability: Capability): void {
  if (!can(ctx, capability)) {
    throw new ForbiddenError(`Your role does not have the '${capability}' permission`);
  }
}

export function renderHtml(
  c: DashboardContext,
  node: Child,
  status: 200 | 401 | 403 | 404 | 409 | 422 = 200,
) {
  c.header("Cache-Control", "no-store");
  return c.html(html`<!doctype html>${node}`, status);
}

/** A DomainError as a page (404 for an unknown product, 403 for a missing permission…). */
export function errorPage(c: DashboardContext, ctx: PageContext | undefined, error: DomainError) {
  const message = describe(error);
  const title = error.status === 404 ? "Not found" : error.status === 403 ? "Not allowed" : "Error";
  const body = (
    <section class="error-page">
      <h1>{title}</h1>
      <p>{message}</p>
      <p>
        <a href="/">Back to the matrix</a>
      </p>
    </section>
  );
  const status = error.status === 404 || error.status === 403 || error.status === 409 ? error.status : 422;
  return renderHtml(
    c,
    ctx ? (
      <Layout ctx={ctx} title={title}>
        {body}
      </Layout>
    ) : (
      <Document title={title}>{body}</Document>
    ),
    status,
  );
}

/** `url` with one query parameter set: flash messages after a form post. */
export function withQuery(url: string, name: string, value: string): string {
  const parsed = new URL(url, "http://dashboard.invalid");
  parsed.searchParams.set(name, value);
  return `${parsed.pathname}${parsed.search}`;
}

/** A form field as trimmed text ("" when absent or a file). */
export function field(form: Record<string, unknown>, name: string): string {
  const value = form[name];
  return typeof value === "string" ? value.trim() : "";
}

export interface DashboardRouter {
  /** A page at `path`, served to browsers; API clients fall through to the JSON route there. */
  page(path: string, render: (c: DashboardContext, ctx: PageContext) => Promise<Child | Response>): void;
  /**
   * A form post: session, CSRF field and capability are checked before `run`, which returns
   * where to go next. A rejected input goes back to `back` with the error shown.
   */
  action(
    path: string,
    capability: Capability,
    run: (c: DashboardContext, form: Record<string, unknown>, session: Session) => Promise<string>,
    back: (c: DashboardContext) => string,
  ): void;
}

export function dashboardRouter(
  app: Hono<AppEnv>,
  deps: AppDeps,
  signingSecret: () => Promise<string>,
): DashboardRouter {
  return {
    page(path, render) {
      app.get(path, async (c, next) => {
        if (!wantsPage(c)) return next();
        const session = await readSession(c, deps, signingSecret);
        if (!session)
          return c.redirect(withQuery("/sign-in", "next", c.req.url.replace(/^https?:\/\/[^/]+/, "")));
        c.set("principal", session.principal);
        const ctx = pageContext(c, deps, session);
        try {
          const out = await render(c, ctx);
          return out instanceof Response ? out : renderHtml(c, out);
        } catch (error) {
          if (error instanceof DomainError) return errorPage(c, ctx, error);
          throw error;
        }
      });
    },
    action(path, capability, run, back) {
      app.post(path, async (c) => {
        const session = await readSession(c, deps, signingSecret);
        if (!session) return c.redirect("/sign-in", 303);
        c.set("principal", session.principal);
        const ctx = pageContext(c, deps, session);
        const form = await c.req.parseBody();
        try {
          // The session cookie is sent by the browser on its own: the form must prove it is ours.
          if (field(form, "_csrf") !== session.csrfToken) {
            throw new ForbiddenError(
              "The form's CSRF token is missing or wrong; reload the page and try again",
            );
          }
          requireCapability(ctx, capability);
          return c.redirect(await run(c, form, session), 303);
        } catch (error) {
          if (!(error instanceof DomainError)) throw error;
          if (error.status === 403 || error.status === 404) return errorPage(c, ctx, error);
          return c.redirect(withQuery(back(c), "error", describe(error)), 303);
        }
      });
    },
  };
}

/** One line for a flash message: the detail, or each validation issue's field and message. */
export function describe(error: DomainError): string {
  if (typeof error.detail === "string") return error.detail;
  if (Array.isArray(error.detail)) {
    return error.detail
      .map(
        (issue: { loc?: unknown[]; msg?: string }) => `${(issue.loc ?? []).slice(1).join(".")}: ${issue.msg}`,
      )
      .join("; ");
  }
  return error.message;
}

/** A path parameter of the route (`:name`); routes only register paths that declare it. */
export function param(c: DashboardContext, name: string): string {
  return c.req.param(name) ?? "";
}
