import { z } from "@hono/zod-openapi";

/**
 * The shields.io endpoint badge response, as its documentation (shields.io/badges/endpoint-badge)
 * defines it: shields refuses unknown keys, an empty message, and logo fields without a logo.
 */
export const ShieldsEndpoint = z
  .strictObject({
    schemaVersion: z.literal(1),
    label: z.string().openapi({ description: "Left text; empty to omit the left side" }),
    message: z.string().min(1).openapi({ description: "Right text: the version running there" }),
    color: z.string().optional(),
    labelColor: z.string().optional(),
    isError: z.boolean().optional(),
    namedLogo: z.string().optional(),
    logoSvg: z.string().optional(),
    logoColor: z.string().optional(),
    logoWidth: z.number().optional(),
    style: z.string().optional(),
    cacheSeconds: z.number().int().min(0).optional(),
  })
  .superRefine((value, ctx) => {
    if (value.namedLogo !== undefined && value.logoSvg !== undefined)
      ctx.addIssue({
        code: "custom",
        message: "namedLogo and logoSvg exclude each other",
        path: ["logoSvg"],
      });
    if (value.logoColor !== undefined && value.namedLogo === undefined)
      ctx.addIssue({ code: "custom", message: "logoColor needs namedLogo", path: ["logoColor"] });
    if (value.logoWidth !== undefined && value.namedLogo === undefined && value.logoSvg === undefined)
      ctx.addIssue({ code: "custom", message: "logoWidth needs a logo", path: ["logoWidth"] });
  })
  .openapi("ShieldsEndpoint");
export type ShieldsEndpoint = z.infer<typeof ShieldsEndpoint>;
