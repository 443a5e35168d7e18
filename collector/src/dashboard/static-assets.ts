import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { Hono } from "hono";

interface Asset {
  /** The URL pages link to; it changes whenever the content does, so it may be cached forever. */
  url: string;
  type: string;
  body: string;
}

const require = createRequire(import.meta.url);

function asset(name: string, ext: string, type: string, path: string): Asset {
  const body = readFileSync(path, "utf8");
  const hash = createHash("sha256").update(body).digest("hex").slice(0, 12);
  return { url: `/assets/${name}.${hash}.${ext}`, type, body };
}

// The dashboard's own files sit in assets/ next to this module in src/, and next to server.js
// in dist/ (build.mjs copies them), so one relative URL finds them in both.
const own = (file: string) => new URL(`./assets/${file}`, import.meta.url);

let loaded: { css: Asset; js: Asset; htmx: Asset } | undefined;

/** The stylesheet, the dashboard script and htmx (pinned in package.json, served from node_modules). */
export function dashboardAssets() {
  loaded ??= {
    css: asset("dashboard", "css", "text/css; charset=utf-8", own("dashboard.css").pathname),
    js: asset("dashboard", "js", "text/javascript; charset=utf-8", own("dashboard.js").pathname),
    htmx: asset("htmx", "js", "text/javascript; charset=utf-8", require.resolve("htmx.org/dist/htmx.min.js")),
  };
  return loaded;
}

/** Serves the assets under their content-hashed URLs with a year-long immutable cache. */
export function createAssetRoutes() {
  const app = new Hono();
  app.get("/assets/:file", (c, next) => {
    const found = Object.values(dashboardAssets()).find((a) => a.url === c.req.path);
    if (!found) return next();
    c.header("Content-Type", found.type);
    c.header("Cache-Control", "public, max-age=31536000, immutable");
    return c.body(found.body);
  });
  return app;
}
