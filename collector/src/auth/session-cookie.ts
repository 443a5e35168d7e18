import type { Context } from "hono";
import { setSignedCookie } from "hono/cookie";
import { SESSION_COOKIE, SESSION_TTL_MS } from "./sessions-service.ts";

/** Sets the session cookie (HTTP-only, SameSite=Lax, signed) for API sign-in and the dashboard alike. */
export async function setSessionCookie(
  c: Context,
  secret: string,
  signingSecret: string,
  secure: boolean,
): Promise<void> {
  await setSignedCookie(c, SESSION_COOKIE, secret, signingSecret, {
    httpOnly: true,
    sameSite: "Lax",
    secure,
    path: "/",
    maxAge: Math.floor(SESSION_TTL_MS / 1000),
  });
}
