import { ROLES, type Role } from "../../auth/capabilities.ts";
import { createUser, listUsers, type UserView, updateUser } from "../../auth/users-service.ts";
import { ValidationError } from "../../errors.ts";
import { actorFrom } from "../../http/actor.ts";
import { Csrf, Pager, When } from "../components.tsx";
import { type DashboardRouter, field, requireCapability, withQuery } from "../dashboard-http.tsx";
import type { PageContext } from "../layout.tsx";
import { ListTable, optionalText, PostButton, requiredText, SettingsLayout } from "./settings-layout.tsx";
import type { SettingsDeps } from "./settings-routes.tsx";

const PAGE = "/settings/users";
const PAGE_SIZE = 100;

function roleLabel(role: string): string {
  return role.replace("_", " ");
}

function readRole(form: Record<string, unknown>): Role {
  const role = field(form, "role");
  if (!(ROLES as readonly string[]).includes(role)) {
    throw ValidationError.field(["body", "role"], `must be one of ${ROLES.join(", ")}`);
  }
  return role as Role;
}

function RoleSelect(props: { id: string; value?: Role; label: string }) {
  return (
    <label for={props.id}>
      {props.label}
      <select id={props.id} name="role">
        {ROLES.map((role) => (
          <option value={role} selected={role === (props.value ?? "viewer")}>
            {roleLabel(role)}
          </option>
        ))}
      </select>
    </label>
  );
}

/** Users and roles: admins only (users.manage); the service keeps "one admin at least" and "not yourself". */
export function registerUsersPage(router: DashboardRouter, { deps }: SettingsDeps) {
  router.page(PAGE, async (c, ctx) => {
    requireCapability(ctx, "users.manage");
    const query = new URL(c.req.url).searchParams;
    const page = await listUsers(deps, { limit: PAGE_SIZE, cursor: query.get("cursor") ?? undefined });
    return (
      <SettingsLayout
        ctx={ctx}
        title="Users and roles"
        lead="People who sign in to the dashboard or use personal tokens, each with one role."
      >
        <details class="card">
          <summary>New user</summary>
          <form method="post" action="/dashboard/settings/users" class="stack">
            <Csrf token={ctx.csrfToken} />
            <label>
              Email
              <input type="email" name="email" required autocomplete="off" />
            </label>
            <label>
              Name
              <input type="text" name="name" maxlength={255} />
            </label>
            <RoleSelect id="new-user-role" label="Role" />
            <label>
              First password (optional, at least 10 characters)
              <input type="password" name="password" autocomplete="new-password" minlength={10} />
            </label>
            <p class="muted">
              Give the person their first password yourself; they change it from the API (
              <code>PUT /users/me/password</code>). Without one they cannot sign in until you set it.
            </p>
            <div>
              <button type="submit">Create user</button>
            </div>
          </form>
        </details>
        <ListTable
          caption="Users"
          headers={["User", "Role", "Status", "Last seen", "Actions"]}
          rows={page.items.map((user) => <UserRow user={user} ctx={ctx} />)}
          empty="No users."
        />
        <Pager base={PAGE} query={query} nextCursor={page.next_cursor} />
      </SettingsLayout>
    );
  });

  router.action(
    "/dashboard/settings/users",
    "users.manage",
    async (c, form) => {
      const user = await createUser(deps, actorFrom(c), {
        email: requiredText(form, "email", 320),
        name: optionalText(form, "name", 255),
        role: readRole(form),
        password: String(form.password ?? "") || null,
      });
      return withQuery(PAGE, "notice", `Created ${user.email} (${roleLabel(user.role)})`);
    },
    () => PAGE,
  );

  router.action(
    "/dashboard/settings/users/:id",
    "users.manage",
    async (c, form) => {
      const id = c.req.param("id") ?? "";
      const change = field(form, "change");
      const actor = actorFrom(c);
      if (change === "role") {
        const user = await updateUser(deps, actor, id, { role: readRole(form) });
        return withQuery(PAGE, "notice", `${user.email} is now ${roleLabel(user.role)}`);
      }
      if (change === "active") {
        const user = await updateUser(deps, actor, id, { active: field(form, "active") === "true" });
        return withQuery(PAGE, "notice", `${user.email} ${user.active ? "reactivated" : "deactivated"}`);
      }
      if (change === "password") {
        const user = await updateUser(deps, actor, id, { password: String(form.password ?? "") });
        return withQuery(PAGE, "notice", `Password of ${user.email} set`);
      }
      throw ValidationError.field(["body", "change"], "must be role, active or password");
    },
    () => PAGE,
  );
}

function UserRow(props: { user: UserView; ctx: PageContext }) {
  const { user, ctx } = props;
  const self = ctx.principal.kind === "user" && ctx.principal.id === user.id;
  const action = `/dashboard/settings/users/${encodeURIComponent(user.id)}`;
  return (
    <tr data-user={user.email}>
      <th scope="row">
        {user.name}
        <small class="block">{user.email}</small>
      </th>
      <td>
        {self ? (
          <>
            {roleLabel(user.role)} <small>(you)</small>
          </>
        ) : (
          <form method="post" action={action} class="inline-form">
            <Csrf token={ctx.csrfToken} />
            <input type="hidden" name="change" value="role" />
            <label class="visually-hidden" for={`role-${user.id}`}>
              Role of {user.email}
            </label>
            <select id={`role-${user.id}`} name="role">
              {ROLES.map((role) => (
                <option value={role} selected={role === user.role}>
                  {roleLabel(role)}
                </option>
              ))}
            </select>
            <button type="submit" class="secondary" aria-label={`Change role of ${user.email}`}>
              Change
            </button>
          </form>
        )}
      </td>
      <td>
        {user.active ? "active" : <span class="status status-failed">deactivated</span>}
        {user.has_password ? null : <small class="block">no password</small>}
      </td>
      <td>
        <When at={user.last_seen_at} now={ctx.now} />
      </td>
      <td>
        <div class="row-actions">
          {self ? null : (
            <PostButton
              action={action}
              csrf={ctx.csrfToken}
              label={user.active ? "Deactivate" : "Reactivate"}
              ariaLabel={`${user.active ? "Deactivate" : "Reactivate"} ${user.email}`}
              class={user.active ? "danger" : "secondary"}
              hidden={{ change: "active", active: String(!user.active) }}
            />
          )}
          <details>
            <summary>Set password</summary>
            <form method="post" action={action} class="inline-form">
              <Csrf token={ctx.csrfToken} />
              <input type="hidden" name="change" value="password" />
              <label>
                New password for {user.email}
                <input type="password" name="password" autocomplete="new-password" minlength={10} required />
              </label>
              <button type="submit" class="secondary">
                Set
              </button>
            </form>
          </details>
        </div>
      </td>
    </tr>
  );
}
