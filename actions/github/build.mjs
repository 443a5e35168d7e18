// Bundles the action into the single committed file the runner executes (`dist/index.js`).
// `node build.mjs [--outfile <path>]`: the staleness test builds to a temporary file and compares bytes.
import { writeFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { build } from "esbuild";

const here = dirname(fileURLToPath(import.meta.url));
const { values } = parseArgs({ options: { outfile: { type: "string" } } });
const outfile = resolve(values.outfile ?? resolve(here, "dist/index.js"));

// zod re-exports its ~40 translations as the `z.locales` / `z.core.locales` namespaces; esbuild
// keeps a namespace whole once `z` is imported, so half the bundle was never-called locale code.
// Nothing here calls `z.locales.*` (English messages come from zod's direct import of en.js).
const dropZodLocales = {
  name: "drop-zod-locales",
  setup(build) {
    build.onResolve({ filter: /^\.\.\/locales\/index\.js$/ }, (args) =>
      /[\\/]node_modules[\\/]zod[\\/]/.test(args.importer)
        ? { path: "zod-locales", namespace: "empty" }
        : undefined,
    );
    build.onLoad({ filter: /.*/, namespace: "empty" }, () => ({ contents: "export {};", loader: "js" }));
  },
};

await build({
  // A fixed working directory keeps every path esbuild might embed independent of the caller's cwd.
  absWorkingDir: here,
  entryPoints: ["src/index.ts"],
  outfile,
  bundle: true,
  platform: "node",
  // CommonJS starts faster than ESM: no module-graph instantiation, and `require("node:http")`
  // does not evaluate the lazy exports an ESM import of a builtin does (undici, on Node 24).
  format: "cjs",
  // Runs under node24 on the runner; Node 20 is the oldest runtime we still support.
  target: "node20",
  minify: true,
  legalComments: "eof",
  sourcemap: false,
  charset: "utf8",
  logLevel: "warning",
  plugins: [dropZodLocales],
});

// The workspace is `"type": "module"`; this marker makes Node load the bundle as CommonJS.
writeFileSync(resolve(dirname(outfile), "package.json"), '{ "type": "commonjs" }\n');
