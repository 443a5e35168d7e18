import type { StateResponse } from "@versioner/schema";
import { Hono } from "hono";
import { deleteCookie, getSignedCookie } from "hono/cookie";
import { raw } from "hono/html";
import { streamSSE } from "hono/streaming";
import { setSessionCookie } from "../auth/session-cookie.ts";
import { login, loginWithToken, logout, SESSION_COOKIE } from "../auth/sessions-service.ts";
import { getUserPreference, setUserPreference } from "../auth/user-preferences-service.ts";
import { DomainError } from "../errors.ts";
import { listLocks } from "../governance/locks-service.ts";
import type { AppDeps, AppEnv } from "../http/app-env.ts";
import { allProducts } from "./catalog-reads.ts";
import { dashboardRouter, describe, field, readSession, renderHtml } from "./dashboard-http.tsx";
import { LIVE_STREAM, LiveUpdates } from "./live-updates.ts";
import { buildMatrix, filtersQuery, parseFilters, teamsOf } from "./matrix-model.ts";
import { registerApprovalPages } from "./pages/approvals.tsx";
import { registerDeploymentPages } from "./pages/deployments.tsx";
import { registerDiffPages } from "./pages/diff.tsx";
import { registerEnvironmentPages } from "./pages/environments.tsx";
import { registerGovernancePages } from "./pages/governance.tsx";
import { MatrixPage, MatrixSection } from "./pages/matrix-page.tsx";
import { registerMetricsPages } from "./pages/metrics.tsx";
import { registerProductPages } from "./pages/products.tsx";
import { registerReleasePages } from "./pages/releases.tsx";
import { SignInPage } from "./pages/sign-in-page.tsx";
import { registerVersionPages } from "./pages/versions.tsx";
import { registerSettings } from "./settings/settings-routes.tsx";
import { createAssetRoutes } from "./static-assets.ts";

const FILTERS_PREFERENCE = "dashboard.matrix_filters";
/** Seconds between SSE comments that keep idle connections (and proxies) open. */
const KEEPALIVE_MS = 25_000;

/** Only same-site paths: `next` must not send a person who just signed in to another site. */
function safeNext(value: string): string {
  return value.startsWith("/") && !value.startsWith("//") && !value.startsWith("/\\") ? value : "/";
}

/**
 * The dashboard: server-rendered pages on the API's own resource paths (a browser asking for
 * text/html gets the page, API clients keep the JSON), form posts under /dashboard/, sign-in.
 * Mounted before the API's token middleware: pages authenticate with the session cookie.
 */
export function createDashboard(deps: AppDeps, signingSecret: () => Promise<string>): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  const live = new LiveUpdates(deps.bus, deps.database);
  const router = dashboardRouter(app, deps, signingSecret);

  app.route("/", createAssetRoutes());
  registerSettings(router, { deps, signingSecret });

  app.get("/sign-in", async (c) => {
    const next = safeNext(c.req.query("next") ?? "/");
    if (await readSession(c, deps, signingSecret)) return c.redirect(next);
    return renderHtml(c, <SignInPage next={next} />);
  });

  app.post("/sign-in", async (c) => {
    const form = await c.req.parseBody();
    const next = safeNext(field(form, "next") || "/");
    // Login CSRF: a foreign page must not sign a visitor into someone else's account.
    const origin = c.req.header("origin");
    if (origin && new URL(origin).host !== c.req.header("host")) {
      return renderHtml(c, <SignInPage next={next} error="Sign-in from another site is refused." />, 403);
    }
    const token = field(form, "token");
    try {
      const session = token
        ? await loginWithToken(deps, token)
        : await login(deps, { email: field(form, "email"), password: String(form.password ?? "") });
      await setSessionCookie(c, session.secret, await signingSecret(), deps.config.secureCookies);
      return c.redirect(next, 303);
    } catch (error) {
      if (!(error instanceof DomainError)) throw error;
      for (const [name, value] of Object.entries(error.headers)) c.header(name, value);
      return renderHtml(
        c,
        <SignInPage next={next} error={describe(error)} email={field(form, "email")} />,
        error.status === 429 ? 422 : 401,
      );
    }
  });

  app.post("/sign-out", async (c) => {
    const form = await c.req.parseBody();
    const session = await readSession(c, deps, signingSecret);
    // Only our page may end the session (a foreign form could otherwise sign people out).
    if (session && field(form, "_csrf") === session.csrfToken) {
      const secret = await getSignedCookie(c, await signingSecret(), SESSION_COOKIE);
      if (secret) await logout(deps, secret);
      deleteCookie(c, SESSION_COOKIE, { path: "/" });
    }
    return c.redirect("/sign-in", 303);
  });

  app.get(LIVE_STREAM, async (c) => {
    const session = await readSession(c, deps, signingSecret);
    if (!session) return c.text("Sign in first", 401);
    return streamSSE(c, async (stream) => {
      const queue: string[] = [];
      let wake: (() => void) | undefined;
      const stop = live.listen((change) => {
        queue.push(JSON.stringify(change));
        wake?.();
      });
      stream.onAbort(() => {
        stop();
        wake?.();
      });
      // A shutting-down collector ends the stream (browsers reconnect to the next one) instead
      // of holding server.close() until its timeout.
      const ending = () => {
        void stream.close();
        wake?.();
      };
      deps.shutdown?.addEventListener("abort", ending, { once: true });
      await stream.writeSSE({ event: "ready", data: "{}" });
      while (!stream.aborted && !stream.closed && !deps.shutdown?.aborted) {
        const data = queue.shift();
        if (data) {
          await stream.writeSSE({ event: "change", data });
          continue;
        }
        await new Promise<void>((resolve) => {
          wake = resolve;
          setTimeout(resolve, KEEPALIVE_MS);
        });
        wake = undefined;
        if (queue.length === 0 && !stream.aborted && !stream.closed) await stream.write(": keep-alive\n\n");
      }
      stop();
      deps.shutdown?.removeEventListener("abort", ending);
    });
  });

  router.page("/", async (c, ctx) => {
    const url = new URL(c.req.url);
    const userId = ctx.principal.id;
    if (url.searchParams.has("clear")) {
      await setUserPreference(deps, userId, FILTERS_PREFERENCE, "");
      return c.redirect("/");
    }
    // A bare "/" restores the person's last filters; any filtered URL becomes the new memory.
    const saved = await getUserPreference(deps, userId, FILTERS_PREFERENCE);
    if (url.search === "" && saved && c.req.header("hx-request") !== "true") return c.redirect(`/?${saved}`);
    const filters = parseFilters(url.searchParams);
    const query = filtersQuery(filters);
    if (url.search !== "" && query !== (saved ?? "")) {
      await setUserPreference(deps, userId, FILTERS_PREFERENCE, query);
    }
    // Everything below depends only on the state generation (and the minute): cached, so the
    // page costs about what `GET /state` costs however many people keep it open.
    const { generation, body } = await deps.runtime.stateDocuments.get();
    let state: StateResponse | undefined;
    const readState = () => {
      state ??= JSON.parse(body) as StateResponse;
      return state;
    };
    const minute = Math.floor(ctx.now.getTime() / 60_000);
    // Locks change without a state generation: their ids are part of the cache key.
    const locks = await listLocks(deps);
    const lockKey = locks.map((lock) => lock.id).join(",");
    const section = await deps.runtime.matrices.cachedRender(
      `${generation}|${minute}|${query}|${lockKey}`,
      async () => {
        const matrix = buildMatrix(readState(), await allProducts(deps), filters);
        return (
          await (<MatrixSection now={ctx.now} matrix={matrix} filters={filters} locks={locks} />).toString()
        ).toString();
      },
    );
    const choices = await deps.runtime.matrices.cachedRender(`${generation}|choices`, async () =>
      JSON.stringify({
        environments: readState().environments.map((env) => env.name),
        teams: teamsOf(await allProducts(deps)),
      }),
    );
    const { environments, teams } = JSON.parse(choices) as { environments: string[]; teams: string[] };
    return (
      <MatrixPage
        ctx={ctx}
        section={raw(section)}
        filters={filters}
        environments={environments}
        teams={teams}
      />
    );
  });

  registerProductPages(router, deps);
  registerVersionPages(router, deps);
  registerEnvironmentPages(router, deps);
  registerDeploymentPages(router, deps);
  registerReleasePages(router, deps);
  registerDiffPages(router, deps);
  registerMetricsPages(router, deps);
  registerGovernancePages(router, deps);
  registerApprovalPages(router, deps);
  return app;
}
