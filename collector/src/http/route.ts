import { createRoute, type RouteConfig, z } from "@hono/zod-openapi";
import { ErrorBody } from "@versioner/schema";
import type { MiddlewareHandler } from "hono";
import type { Capability } from "../auth/capabilities.ts";
import { ForbiddenError } from "../errors.ts";
import type { AppEnv } from "./app-env.ts";

/** Checks the capability a route declared against the principal the auth middleware resolved. */
function requireCapability(capability: Capability): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const principal = c.get("principal");
    if (!principal.capabilities.has(capability)) {
      throw new ForbiddenError(`This credential does not have the '${capability}' permission`);
    }
    await next();
  };
}

// Plain zod schemas from @versioner/schema have no .openapi(); rebuild the object with its shape.
const ErrorResponseSchema = z.object(ErrorBody.shape).openapi("Error");

const errorResponses = {
  401: {
    description: "Missing or invalid token",
    content: { "application/json": { schema: ErrorResponseSchema } },
  },
  403: {
    description: "The credential lacks the capability",
    content: { "application/json": { schema: ErrorResponseSchema } },
  },
  422: { description: "Validation error", content: { "application/json": { schema: ErrorResponseSchema } } },
} as const;

type Protected<R extends RouteConfig> = R & { "x-capability": Capability };

/**
 * Every authenticated route is declared through this: the capability is enforced by middleware
 * and published as `x-capability` in the OpenAPI document, where a test checks none is missing.
 */
export function protectedRoute<const R extends Omit<RouteConfig, "middleware">>(
  capability: Capability,
  config: R,
): Protected<R & { middleware: MiddlewareHandler<AppEnv>[] }> {
  return createRoute({
    ...config,
    security: [{ bearerAuth: [] }],
    responses: { ...errorResponses, ...config.responses },
    middleware: [requireCapability(capability)],
    "x-capability": capability,
  }) as Protected<R & { middleware: MiddlewareHandler<AppEnv>[] }>;
}

export function json<T extends z.ZodType>(schema: T, description: string) {
  return { description, content: { "application/json": { schema } } };
}

/**
 * A JSON body validated by `schema`; with `fast`, by `fast` first (a fast path such as
 * `fastEventInput.deployment`, whose output is the schema's own, or `undefined` for any value it
 * does not accept, which the schema then parses and words the errors of). The route validates
 * through the schema's `safeParseAsync` (@hono/zod-openapi's validator takes no other function):
 * the fast one is set on a clone of the schema, which documents the very same body.
 */
export function jsonBody<T extends z.ZodType>(schema: T, fast?: (value: unknown) => z.output<T> | undefined) {
  return {
    body: {
      required: true,
      content: { "application/json": { schema: fast ? fastFirst(schema, fast) : schema } },
    },
  };
}

function fastFirst<T extends z.ZodType>(schema: T, fast: (value: unknown) => z.output<T> | undefined): T {
  const body = schema.clone() as T;
  const parse = body.safeParseAsync.bind(body);
  body.safeParseAsync = async (data, params) => {
    const parsed = fast(data);
    return parsed === undefined ? parse(data, params) : { success: true, data: parsed };
  };
  return body;
}

/** A response of the error contract (`{detail, code, request_id}`), for routes that document one. */
export function errorJson(description: string) {
  return json(ErrorResponseSchema, description);
}
