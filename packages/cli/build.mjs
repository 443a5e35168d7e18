// Bundles the CLI into one dependency-free file: `node build.mjs` → dist/versioner.mjs. The collector's
// build imports buildCli() to bundle the same file into collector/dist/cli/ (it serves it).
import { chmod } from "node:fs/promises";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const here = dirname(fileURLToPath(import.meta.url));

/** Bundles src/main.ts into `outfile` (default dist/versioner.mjs), executable, with a node shebang. */
export async function buildCli(outfile = resolve(here, "dist/versioner.mjs")) {
  await build({
    absWorkingDir: here,
    entryPoints: ["src/main.ts"],
    outfile,
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node20",
    minify: true,
    legalComments: "none",
    banner: { js: "#!/usr/bin/env node" },
    logLevel: "warning",
  });
  await chmod(outfile, 0o755);
  return outfile;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) await buildCli();
