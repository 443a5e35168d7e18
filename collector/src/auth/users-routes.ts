import { OpenAPIHono, z } from "@hono/zod-openapi";
import { Name, SingleLineText } from "@versioner/schema";
import { actorFrom } from "../http/actor.ts";
import type { AppDeps, AppEnv } from "../http/app-env.ts";
import { PageQuery } from "../http/pagination.ts";
import { json, jsonBody, protectedRoute } from "../http/route.ts";
import { ROLES } from "./capabilities.ts";
import {
  changeMyPassword,
  createUser,
  deleteUser,
  findUser,
  listUsers,
  requireUser,
  updateMe,
  updateUser,
  userView,
} from "./users-service.ts";

export const User = z
  .object({
    id: z.string(),
    email: z.string(),
    name: z.string(),
    role: z.enum(ROLES),
    active: z.boolean(),
    has_password: z.boolean(),
    created_at: z.string(),
    updated_at: z.string(),
    last_seen_at: z.string().nullable(),
  })
  .openapi("User");

const Password = z.string().max(1024);
const UserCreate = z.object({
  email: z.email(),
  name: SingleLineText(255).nullish(),
  role: z.enum(ROLES),
  password: Password.nullish().openapi({ description: "For dashboard sign-in; at least 10 characters" }),
});
const UserUpdate = z.object({
  name: Name.optional(),
  role: z.enum(ROLES).optional(),
  active: z.boolean().optional(),
  password: Password.optional(),
});
const Id = z.object({ id: z.string().openapi({ description: "User id or email" }) });

const routes = {
  me: protectedRoute("catalog.read", {
    method: "get",
    path: "/users/me",
    tags: ["Users"],
    summary: "Your own profile",
    responses: { 200: json(User, "You") },
  }),
  updateMe: protectedRoute("catalog.read", {
    method: "patch",
    path: "/users/me",
    tags: ["Users"],
    summary: "Change your own name",
    request: jsonBody(z.object({ name: Name })),
    responses: { 200: json(User, "You") },
  }),
  password: protectedRoute("catalog.read", {
    method: "put",
    path: "/users/me/password",
    tags: ["Users"],
    summary: "Set or change your own password (the current one is required once set)",
    request: jsonBody(z.object({ current_password: Password.optional(), new_password: Password })),
    responses: { 204: { description: "Changed" } },
  }),
  list: protectedRoute("users.manage", {
    method: "get",
    path: "/users",
    tags: ["Users"],
    summary: "List users",
    request: { query: PageQuery },
    responses: {
      200: json(z.object({ items: z.array(User), next_cursor: z.string().nullable() }), "A page"),
    },
  }),
  create: protectedRoute("users.manage", {
    method: "post",
    path: "/users",
    tags: ["Users"],
    summary: "Create a user with a role",
    request: jsonBody(UserCreate),
    responses: { 201: json(User, "Created") },
  }),
  get: protectedRoute("users.manage", {
    method: "get",
    path: "/users/{id}",
    tags: ["Users"],
    summary: "Get a user",
    request: { params: Id },
    responses: { 200: json(User, "The user") },
  }),
  update: protectedRoute("users.manage", {
    method: "patch",
    path: "/users/{id}",
    tags: ["Users"],
    summary: "Change a user's name, role, password or active flag (not your own role; never the last admin)",
    request: { params: Id, ...jsonBody(UserUpdate) },
    responses: { 200: json(User, "Updated") },
  }),
  delete: protectedRoute("users.manage", {
    method: "delete",
    path: "/users/{id}",
    tags: ["Users"],
    summary: "Delete a user with their tokens and sessions (never the last admin)",
    request: { params: Id },
    responses: { 204: { description: "Deleted" } },
  }),
};

export function createUserRoutes(deps: AppDeps) {
  return (
    new OpenAPIHono<AppEnv>()
      // /users/me is registered before /users/{id} so "me" is never taken for an id.
      .openapi(routes.me, async (c) => c.json(userView(await findUser(deps, requireUser(actorFrom(c)))), 200))
      .openapi(routes.updateMe, async (c) =>
        c.json(await updateMe(deps, actorFrom(c), c.req.valid("json")), 200),
      )
      .openapi(routes.password, async (c) => {
        await changeMyPassword(deps, actorFrom(c), c.req.valid("json"));
        return c.body(null, 204);
      })
      .openapi(routes.list, async (c) => c.json(await listUsers(deps, c.req.valid("query")), 200))
      .openapi(routes.create, async (c) =>
        c.json(await createUser(deps, actorFrom(c), c.req.valid("json")), 201),
      )
      .openapi(routes.get, async (c) => c.json(userView(await findUser(deps, c.req.valid("param").id)), 200))
      .openapi(routes.update, async (c) =>
        c.json(await updateUser(deps, actorFrom(c), c.req.valid("param").id, c.req.valid("json")), 200),
      )
      .openapi(routes.delete, async (c) => {
        await deleteUser(deps, actorFrom(c), c.req.valid("param").id);
        return c.body(null, 204);
      })
  );
}
