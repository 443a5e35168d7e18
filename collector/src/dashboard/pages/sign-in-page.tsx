import { Document } from "../layout.tsx";

/** Email and password, or a personal token; `next` brings the person back where they were going. */
export function SignInPage(props: { next: string; error?: string; email?: string }) {
  return (
    <Document title="Sign in">
      <main id="main" class="sign-in">
        <h1>
          <span aria-hidden="true" class="logo">
            V
          </span>{" "}
          Sign in to Versioner
        </h1>
        {props.error ? (
          <p class="flash flash-error" role="alert">
            {props.error}
          </p>
        ) : null}
        <form method="post" action="/sign-in" class="stack">
          <input type="hidden" name="next" value={props.next} />
          <label>
            Email
            <input type="email" name="email" autocomplete="username" value={props.email ?? ""} required />
          </label>
          <label>
            Password
            <input type="password" name="password" autocomplete="current-password" required />
          </label>
          <button type="submit">Sign in</button>
        </form>
        <details class="token-sign-in">
          <summary>Sign in with a personal token instead</summary>
          <form method="post" action="/sign-in" class="stack">
            <input type="hidden" name="next" value={props.next} />
            <label>
              Personal token
              <input type="password" name="token" autocomplete="off" required />
            </label>
            <button type="submit">Sign in with token</button>
          </form>
        </details>
      </main>
    </Document>
  );
}
