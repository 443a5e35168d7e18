import { ROLES, type Role, SYSTEM_PRINCIPAL } from "../auth/capabilities.ts";
import { insertPersonalToken } from "../auth/personal-tokens-service.ts";
import { type TestApp, unique } from "./test-app.ts";

/**
 * One user per role with a personal token, created without passwords or sign-ins (scrypt is slow
 * on a loaded machine); billing and viewer get a token too, which the route would not give them.
 */
export async function roleTokens(t: TestApp, roles: readonly Role[] = ROLES): Promise<Record<Role, string>> {
  const tokens = {} as Record<Role, string>;
  for (const role of roles) {
    const user = await t.call("POST", "/users", {
      email: `${unique(role)}@roles.test`,
      name: `${role} user`,
      role,
    });
    if (user.status !== 201) throw new Error(`Cannot create a ${role} user: ${JSON.stringify(user.body)}`);
    const created = await insertPersonalToken(
      { database: t.database, clock: t.clock },
      { principal: SYSTEM_PRINCIPAL, requestId: "test" },
      user.body.id,
      { name: "test" },
    );
    tokens[role] = created.token;
  }
  return tokens;
}
