// Bundles the collector into dist/server.js: workspace packages (@versioner/*) are inlined,
// every npm package stays external (libSQL has a native module) and resolves from node_modules.
// Also bundles the CLI into dist/cli/versioner.mjs, which the collector serves at /cli/versioner.mjs
// (built from source here, so `npm start` never serves a CLI older than the collector).

import { cpSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";
import { buildCli } from "../packages/cli/build.mjs";

const externalNpmPackages = {
  name: "external-npm-packages",
  setup(b) {
    b.onResolve({ filter: /^[^./]/ }, (args) =>
      args.path.startsWith("@versioner/") ? undefined : { path: args.path, external: true },
    );
  },
};

await build({
  entryPoints: ["src/server.ts"],
  outfile: "dist/server.js",
  bundle: true,
  platform: "node",
  target: "node20",
  format: "esm",
  sourcemap: true,
  plugins: [externalNpmPackages],
  logLevel: "warning",
});

await buildCli(fileURLToPath(new URL("./dist/cli/versioner.mjs", import.meta.url)));
// The ingest write worker's thread is started from a file, found next to server.js (write-worker.ts).
cpSync("src/db/write-worker-thread.mjs", "dist/write-worker-thread.mjs");
// The dashboard's stylesheet and script are served as files (static-assets.ts finds them next to server.js).
cpSync("src/dashboard/assets", "dist/assets", { recursive: true });
