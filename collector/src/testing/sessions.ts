import type { Role } from "../auth/capabilities.ts";
import { type TestApp, unique } from "./test-app.ts";

export interface TestSession {
  cookie: string;
  csrf: string;
}

/** A new user with `role`, signed in: the session cookie and CSRF token a browser would hold. */
export async function signInAs(t: TestApp, role: Role): Promise<TestSession> {
  const email = `${unique(role)}@session.test`;
  const password = "correct horse battery";
  const user = await t.call("POST", "/users", { email, role, password });
  if (user.status !== 201) throw new Error(`creating a ${role}: ${JSON.stringify(user.body)}`);
  const login = await t.call("POST", "/auth/login", { email, password }, { token: null });
  return { cookie: login.headers.get("set-cookie")?.split(";")[0] ?? "", csrf: login.body.csrf_token };
}
