import { deleteCookie, getSignedCookie, setSignedCookie } from "hono/cookie";
import type { DashboardContext } from "../dashboard-http.tsx";

/** Long enough to follow the redirect after the form post, short enough not to linger. */
const MAX_AGE_SECONDS = 120;

export interface OneTimeSecret {
  /** What the secret belongs to (the key or token id), so the page shows it next to the right row. */
  id: string;
  name: string;
  secret: string;
}

/**
 * A new key or token is shown exactly once: the form post leaves it in a signed, HTTP-only cookie
 * scoped to the page it redirects to, and that page deletes the cookie as it shows the secret, so a
 * reload (or going back) shows nothing. Nothing is kept on the server, so it works the same behind
 * several collectors sharing one database.
 */
export function oneTimeSecrets(
  cookie: string,
  path: string,
  signingSecret: () => Promise<string>,
  secureCookies: boolean,
) {
  return {
    async leave(c: DashboardContext, value: OneTimeSecret): Promise<void> {
      await setSignedCookie(c, cookie, JSON.stringify(value), await signingSecret(), {
        httpOnly: true,
        sameSite: "Strict",
        secure: secureCookies,
        path,
        maxAge: MAX_AGE_SECONDS,
      });
    },
    async take(c: DashboardContext): Promise<OneTimeSecret | undefined> {
      const raw = await getSignedCookie(c, await signingSecret(), cookie);
      if (raw === undefined) return undefined;
      deleteCookie(c, cookie, { path, secure: secureCookies });
      if (!raw) return undefined;
      try {
        const value = JSON.parse(raw) as Partial<OneTimeSecret>;
        return typeof value.id === "string" &&
          typeof value.name === "string" &&
          typeof value.secret === "string"
          ? { id: value.id, name: value.name, secret: value.secret }
          : undefined;
      } catch {
        return undefined;
      }
    },
  };
}

/** The panel that shows a new secret once, with what to do with it. */
export function SecretOnce(props: { value: OneTimeSecret; kind: string; usage: string }) {
  return (
    <section class="card secret-once" role="status" aria-labelledby="secret-once-title">
      <h2 id="secret-once-title">
        New {props.kind} “{props.value.name}”: copy it now
      </h2>
      <p>This is the only time it is shown. Only a hash is stored; if it is lost, create another.</p>
      <label>
        {props.kind}
        <input type="text" readonly value={props.value.secret} class="secret-value" data-secret-once />
      </label>
      <p class="muted">{props.usage}</p>
    </section>
  );
}
