import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import { ERROR_CODES } from "@versioner/schema";
import { DomainError } from "../errors.ts";
import type { AppDeps, AppEnv } from "../http/app-env.ts";
import { errorJson } from "../http/route.ts";
import { type CliBundle, loadCliBundle, matchesEtag } from "./cli-bundle.ts";

/** Public path of the CLI bundle (no token: CI jobs fetch it before they have run anything). */
export const CLI_BUNDLE_PATH = "/cli/versioner.mjs";

const digestHeaders = {
  "X-Checksum-Sha256": { schema: { type: "string" as const }, description: "Hex SHA-256 of the body" },
  "Repr-Digest": { schema: { type: "string" as const }, description: "RFC 9530: sha-256=:<base64>:" },
  ETag: { schema: { type: "string" as const }, description: "The body's SHA-256, quoted" },
};

const cliBundleRoute = createRoute({
  method: "get",
  path: CLI_BUNDLE_PATH,
  tags: ["Operations"],
  summary: "The versioner CLI that matches this collector, as one file for Node.js 20+ (no token needed)",
  description:
    "CI jobs fetch it, compare the body's SHA-256 with X-Checksum-Sha256 and run it with node; see docs/integrations/cli.md.",
  responses: {
    200: {
      description: "The CLI bundle (ES module)",
      headers: digestHeaders,
      content: { "text/javascript": { schema: z.string() } },
    },
    304: { description: "Unchanged since the ETag given in If-None-Match", headers: digestHeaders },
    404: errorJson("This collector was started without building its CLI bundle"),
  },
});

/** Serves the CLI bundle built next to the collector (`deps.cliBundlePath`). */
export function createCliDownloadRoutes(deps: AppDeps) {
  // Read once; a missing file is looked for again on the next request (a build may be under way).
  let loaded: Promise<CliBundle | undefined> | undefined;
  const bundle = async () => {
    if (!deps.cliBundlePath) return undefined;
    loaded ??= loadCliBundle(deps.cliBundlePath);
    const found = await loaded;
    if (!found) loaded = undefined;
    return found;
  };

  return new OpenAPIHono<AppEnv>().openapi(cliBundleRoute, async (c) => {
    const found = await bundle();
    if (!found) {
      throw new DomainError(
        404,
        ERROR_CODES.NOT_FOUND,
        "This collector was started without its CLI bundle: run `npm run build` (or `npm start`), which writes collector/dist/cli/versioner.mjs",
      );
    }
    const headers = {
      "X-Checksum-Sha256": found.sha256,
      "Repr-Digest": found.reprDigest,
      ETag: found.etag,
      // Revalidate every time (cheap with the ETag): an upgraded collector serves a new CLI at once.
      "Cache-Control": "no-cache",
    };
    if (matchesEtag(c.req.header("if-none-match"), found.etag)) return c.body(null, 304, headers);
    return c.body(found.body, 200, { ...headers, "Content-Type": "text/javascript; charset=utf-8" });
  });
}
