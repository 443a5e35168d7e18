import { z } from "@hono/zod-openapi";
import { DEFAULT_LIMIT, MAX_LIMIT } from "../db/pagination.ts";

/** `?limit=&cursor=` shared by every list route. */
export const PageQuery = z.object({
  limit: z.coerce
    .number()
    .int()
    .min(1)
    .max(MAX_LIMIT)
    .default(DEFAULT_LIMIT)
    .openapi({ description: `Items per page (at most ${MAX_LIMIT})` }),
  cursor: z.string().optional().openapi({ description: "The `next_cursor` of the previous page" }),
});
