import { OpenAPIHono, z } from "@hono/zod-openapi";
import type { Context, MiddlewareHandler } from "hono";
import { authenticateToken } from "../auth/authenticate.ts";
import type { Capability, Principal } from "../auth/capabilities.ts";
import { UnauthorizedError } from "../errors.ts";
import type { AppDeps, AppEnv } from "../http/app-env.ts";
import { errorJson, protectedRoute } from "../http/route.ts";
import {
  BADGE_STYLES,
  type Badge,
  type BadgeStyle,
  badgeEtag,
  findBadge,
  refusalBadge,
  renderBadgeSvg,
  toShieldsEndpoint,
} from "./badges-service.ts";
import { ShieldsEndpoint } from "./shields-endpoint.ts";

/** Requests under this prefix without a header or cookie credential are authenticated here. */
export const BADGE_PATH = /^\/badges\//;
const FILE = /^(.+)\.(svg|json)$/;

/** Who reads badges on a collector with `VERSIONER_PUBLIC_BADGES=true` and no credential. */
const ANONYMOUS_BADGE_READER: Principal = {
  kind: "anonymous",
  id: "anonymous",
  name: "anonymous",
  capabilities: new Set<Capability>(["badges.read"]),
};

const SVG_HEADERS = {
  "Content-Type": "image/svg+xml; charset=utf-8",
  // An SVG opened on its own is a document: it may not run or load anything.
  "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'",
  "X-Content-Type-Options": "nosniff",
};

const route = protectedRoute("badges.read", {
  method: "get",
  path: "/badges/{product}/{file}",
  tags: ["Badges"],
  summary: "Status badge of one product × environment: SVG image or shields.io endpoint JSON",
  description:
    "Public with VERSIONER_PUBLIC_BADGES=true; otherwise `?token=` must be a badge key (scope `badges`), " +
    "or the request carries a credential with `badges.read` as usual. See docs/badges.md.",
  request: {
    params: z.object({
      product: z.string().min(1).openapi({ description: "Product name or id" }),
      file: z
        .string()
        .regex(FILE, "must be <environment>.svg or <environment>.json")
        .openapi({ description: "`<environment>.svg` or `<environment>.json`", example: "production.svg" }),
    }),
    query: z.object({
      token: z
        .string()
        .optional()
        .openapi({ description: "A badge key (scope `badges`); no other credential" }),
      label: z
        .string()
        .max(64)
        .optional()
        .openapi({ description: "Left text; the environment name by default" }),
      style: z.enum(BADGE_STYLES).optional(),
    }),
    headers: z.object({ "if-none-match": z.string().optional() }),
  },
  responses: {
    200: {
      description:
        "The badge (also for an unknown product or environment: a grey `not found` badge, as shields.io does)",
      content: {
        "image/svg+xml": { schema: z.string() },
        "application/json": { schema: ShieldsEndpoint },
      },
    },
    304: { description: "Unchanged since the ETag sent in If-None-Match" },
    401: {
      description:
        "No credential, or `?token=` is not a badge key: a badge image for .svg, the error body for .json",
      content: { ...errorJson("").content, "image/svg+xml": { schema: z.string() } },
    },
  },
});

export function createBadgeRoutes(deps: AppDeps) {
  const app = new OpenAPIHono<AppEnv>();
  app.use("/badges/*", badgeAccess(deps));
  return app.openapi(route, async (c) => {
    const { product, file } = c.req.valid("param");
    const { label, style } = c.req.valid("query");
    const [, environment = "", format] = FILE.exec(file) ?? [];
    const etag = await badgeEtag(deps);
    c.header("ETag", etag);
    // Badge consumers (GitHub's image proxy, browsers) may keep a copy but must ask again each time.
    c.header("Cache-Control", "no-cache");
    if (etagMatches(c.req.header("if-none-match"), etag)) return c.body(null, 304);
    const badge = await findBadge(deps, product, environment, label);
    // The 200 is an SVG or JSON body chosen by the extension; the route declares both content types.
    return sendBadge(c, badge, format === "svg", 200, style) as unknown as ReturnType<
      typeof c.json<ShieldsEndpoint, 200>
    >;
  });
}

/**
 * A request already authenticated by header or cookie goes on to the capability check. Otherwise
 * the collector's setting decides: public badges need nothing; private ones take `?token=`, which
 * must be a badge key, because a URL ends up in READMEs, proxies and logs.
 */
function badgeAccess(deps: AppDeps): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    if (c.get("principal")) return next();
    if (deps.config.publicBadges) {
      c.set("principal", ANONYMOUS_BADGE_READER);
      return next();
    }
    const token = c.req.query("token");
    if (!token) return refuse(c, "token required", "A private collector's badges need ?token=<badge key>");
    const principal = await authenticateToken(deps, token);
    if (principal?.kind === "api_key" && principal.scope === "badges") {
      c.set("principal", principal);
      return next();
    }
    if (principal) {
      // Valid, refused, and now sitting in someone's URL: tell the operator which one to rotate.
      deps.logger.warn("a credential other than a badge key was sent in a badge URL; rotate it", {
        request_id: c.get("requestId"),
        credential:
          principal.kind === "api_key"
            ? `api key '${principal.name}' (scope ${principal.scope})`
            : `personal token of ${principal.name}`,
      });
    }
    return refuse(c, "invalid token", "?token= accepts only an active badge key (scope 'badges')");
  };
}

function refuse(c: Context<AppEnv>, message: string, detail: string) {
  if (!c.req.path.endsWith(".svg")) throw new UnauthorizedError(detail);
  // An <img> cannot read a JSON error; the badge says what is wrong, the status stays honest.
  c.header("Cache-Control", "no-store");
  return sendBadge(c, refusalBadge(message), true, 401);
}

function sendBadge(c: Context<AppEnv>, badge: Badge, svg: boolean, status: 200 | 401, style?: BadgeStyle) {
  if (svg) return c.body(renderBadgeSvg(badge, style), status, SVG_HEADERS);
  return c.json(toShieldsEndpoint(badge, style), status);
}

/** If-None-Match holds `*` or a list of tags, each possibly weak (`W/"…"`). */
function etagMatches(header: string | undefined, etag: string): boolean {
  if (!header) return false;
  return header.split(",").some((tag) => {
    const candidate = tag.trim();
    return candidate === "*" || candidate.replace(/^W\//, "") === etag;
  });
}
