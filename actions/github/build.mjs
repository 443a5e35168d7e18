// Bundles the action into the single committed file the runner executes (`dist/index.js`).
// `node build.mjs [--outfile <path>] [--analyze]`: the staleness test builds to a temporary file and
// compares bytes; `--analyze` prints what each module contributes to the bundle.
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { analyzeMetafile, build } from "esbuild";

const here = dirname(fileURLToPath(import.meta.url));
const { values } = parseArgs({ options: { outfile: { type: "string" }, analyze: { type: "boolean" } } });
const outfile = resolve(values.outfile ?? resolve(here, "dist/index.js"));

const result = await build({
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
  metafile: true,
  write: false,
});

// Start-up time is this step's overhead (see the README): zod alone cost ~200 KB and ~30 ms, and the
// step needs only the zod-free `@versioner/schema/vocabulary`; the collector validates every event.
const heavy = Object.keys(result.metafile.inputs).filter((path) => /node_modules[\\/]zod[\\/]/.test(path));
if (heavy.length > 0) {
  throw new Error(
    `zod is bundled into the action (${heavy[0]}, …): import @versioner/schema/vocabulary or types only`,
  );
}
if (values.analyze) process.stdout.write(await analyzeMetafile(result.metafile));

mkdirSync(dirname(outfile), { recursive: true });
// `write: false` leaves exactly one output file: the bundle.
writeFileSync(outfile, result.outputFiles[0].contents);
// The workspace is `"type": "module"`; this marker makes Node load the bundle as CommonJS.
writeFileSync(resolve(dirname(outfile), "package.json"), '{ "type": "commonjs" }\n');
