import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { Hono } from "hono";
import { compress } from "hono/compress";
import type { AppEnv } from "../http/app-env.ts";

/** Where the interactive docs live; every path here is public (no token), like /openapi.json. */
export const DOCS_PATH = "/docs";
export const REDOC_PATH = "/redoc";
export const DOCS_ASSETS_PREFIX = "/docs/assets/";

/** Whether a request path is one of the docs pages or their assets. */
export function isDocsPath(path: string): boolean {
  return path === DOCS_PATH || path === REDOC_PATH || path.startsWith(DOCS_ASSETS_PREFIX);
}

const require = createRequire(import.meta.url);
const swaggerUiDist = dirname(require.resolve("swagger-ui-dist/package.json"));
const { version: SWAGGER_UI_VERSION } = require("swagger-ui-dist/package.json") as { version: string };

// Swagger UI's own initializer points at the petstore and its validator badge loads an image from
// validator.swagger.io: ours loads our document and turns the validator off, so nothing leaves.
const INIT_SCRIPT = `window.addEventListener("load", function () {
  window.ui = SwaggerUIBundle({
    url: "/openapi.json",
    dom_id: "#swagger-ui",
    deepLinking: true,
    validatorUrl: null,
    presets: [SwaggerUIBundle.presets.apis],
    layout: "BaseLayout",
  });
});
`;

/** The files the page loads: an allow-list, so no request can read anything else from disk. */
const ASSETS: Record<string, { type: string; load: () => Promise<Buffer | string> }> = {
  "swagger-ui.css": { type: "text/css; charset=utf-8", load: () => distFile("swagger-ui.css") },
  "swagger-ui-bundle.js": {
    type: "text/javascript; charset=utf-8",
    load: () => distFile("swagger-ui-bundle.js"),
  },
  "favicon-32x32.png": { type: "image/png", load: () => distFile("favicon-32x32.png") },
  "docs-init.js": { type: "text/javascript; charset=utf-8", load: async () => INIT_SCRIPT },
};

// compress() weakens the ETag of what it compresses (W/"…"), and browsers send it back that way.
function matches(ifNoneMatch: string | undefined, etag: string): boolean {
  return (ifNoneMatch ?? "").split(",").some((tag) => tag.trim().replace(/^W\//, "") === etag);
}

function distFile(name: string): Promise<Buffer> {
  return readFile(join(swaggerUiDist, name));
}

/** `?v=` busts browser caches when swagger-ui-dist is upgraded, so assets can be cached for good. */
const asset = (name: string) => `${DOCS_ASSETS_PREFIX}${name}?v=${SWAGGER_UI_VERSION}`;

const PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Versioner API</title>
<link rel="icon" type="image/png" href="${asset("favicon-32x32.png")}">
<link rel="stylesheet" href="${asset("swagger-ui.css")}">
</head>
<body>
<div id="swagger-ui"></div>
<script src="${asset("swagger-ui-bundle.js")}"></script>
<script src="${asset("docs-init.js")}"></script>
</body>
</html>
`;

// Same-origin only: even a future Swagger UI that reached for a CDN would be stopped by the browser.
const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "img-src 'self' data:",
  "style-src 'self' 'unsafe-inline'",
  "script-src 'self'",
  "connect-src 'self'",
  "frame-ancestors 'none'",
].join("; ");

/**
 * `/docs`: Swagger UI served by the collector itself from the pinned `swagger-ui-dist` package,
 * so the page works on a machine without internet. `/redoc` (the hosted API's second docs page)
 * leads there too; docs/api.md says why there is no Redoc bundle.
 */
export function createDocsRoutes() {
  const loaded = new Map<string, Promise<{ body: Buffer | string; etag: string }>>();
  const load = (name: string, source: (typeof ASSETS)[string]) => {
    let entry = loaded.get(name);
    if (!entry) {
      entry = source.load().then((body) => ({
        body,
        etag: `"${createHash("sha256").update(body).digest("base64url")}"`,
      }));
      // A failed read is not cached: the next request tries again.
      entry.catch(() => loaded.delete(name));
      loaded.set(name, entry);
    }
    return entry;
  };

  return new Hono<AppEnv>()
    .get(DOCS_PATH, (c) => {
      c.header("Content-Security-Policy", CONTENT_SECURITY_POLICY);
      c.header("Cache-Control", "no-cache");
      return c.html(PAGE);
    })
    .get(REDOC_PATH, (c) => c.redirect(DOCS_PATH, 308))
    .get(`${DOCS_ASSETS_PREFIX}:name`, compress(), async (c) => {
      const name = c.req.param("name");
      const source = Object.hasOwn(ASSETS, name) ? ASSETS[name] : undefined;
      if (!source) return c.notFound();
      const { body, etag } = await load(name, source);
      c.header("ETag", etag);
      c.header("Cache-Control", "public, max-age=31536000, immutable");
      if (matches(c.req.header("if-none-match"), etag)) return c.body(null, 304);
      c.header("Content-Type", source.type);
      return c.body(typeof body === "string" ? body : new Uint8Array(body));
    });
}
