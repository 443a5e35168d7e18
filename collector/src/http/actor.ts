import type { Context } from "hono";
import type { Actor } from "../audit/audit-service.ts";
import type { AppEnv } from "./app-env.ts";

/** The audit actor of a request: its principal and request id. */
export function actorFrom(c: Context<AppEnv>): Actor {
  return { principal: c.get("principal"), requestId: c.get("requestId") };
}
