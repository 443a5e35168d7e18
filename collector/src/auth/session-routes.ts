import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import { deleteCookie, getSignedCookie } from "hono/cookie";
import { actorFrom } from "../http/actor.ts";
import type { AppDeps, AppEnv } from "../http/app-env.ts";
import { json, jsonBody, protectedRoute } from "../http/route.ts";
import { setSessionCookie } from "./session-cookie.ts";
import { login, logout, SESSION_COOKIE } from "./sessions-service.ts";
import { User } from "./users-routes.ts";
import { findUser, requireUser, userView } from "./users-service.ts";

const Session = z
  .object({ user: User, csrf_token: z.string(), expires_at: z.string().optional() })
  .openapi("Session");

const routes = {
  // Public by nature: it is how a person without a token gets a session.
  login: createRoute({
    method: "post",
    path: "/auth/login",
    tags: ["Sign-in"],
    summary: "Sign in with email and password; sets an HTTP-only session cookie",
    request: jsonBody(z.object({ email: z.string().max(320), password: z.string().max(1024) })),
    responses: {
      200: json(Session, "Signed in; send csrf_token as X-CSRF-Token on writes made with the cookie"),
      401: { description: "Wrong email or password" },
      429: { description: "Locked after repeated failures; see Retry-After" },
    },
  }),
  session: protectedRoute("catalog.read", {
    method: "get",
    path: "/auth/session",
    tags: ["Sign-in"],
    summary: "The signed-in user and the CSRF token of the session",
    responses: { 200: json(Session, "The session") },
  }),
  logout: protectedRoute("catalog.read", {
    method: "post",
    path: "/auth/logout",
    tags: ["Sign-in"],
    summary: "End the session",
    responses: { 204: { description: "Signed out" } },
  }),
};

export function createSessionRoutes(deps: AppDeps, signingSecret: () => Promise<string>) {
  return new OpenAPIHono<AppEnv>()
    .openapi(routes.login, async (c) => {
      const session = await login(deps, c.req.valid("json"));
      await setSessionCookie(c, session.secret, await signingSecret(), deps.config.secureCookies);
      return c.json(
        { user: session.user, csrf_token: session.csrf_token, expires_at: session.expires_at },
        200,
      );
    })
    .openapi(routes.session, async (c) => {
      const user = userView(await findUser(deps, requireUser(actorFrom(c))));
      return c.json({ user, csrf_token: c.get("csrfToken") ?? "" }, 200);
    })
    .openapi(routes.logout, async (c) => {
      const secret = await getSignedCookie(c, await signingSecret(), SESSION_COOKIE);
      if (secret) await logout(deps, secret);
      deleteCookie(c, SESSION_COOKIE, { path: "/" });
      return c.body(null, 204);
    });
}
