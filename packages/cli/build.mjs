// Bundles the CLI into one dependency-free file: `node build.mjs` → dist/versioner.mjs. The collector's
// build imports buildCli() to bundle the same file into collector/dist/cli/ (it serves it).
import { chmod } from "node:fs/promises";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { brotliCompressSync } from "node:zlib";
import { build } from "esbuild";

const here = dirname(fileURLToPath(import.meta.url));

// `versioner mcp` brings zod and the MCP SDK, which would make the bundle 20 times larger. Two parts
// of them are never used here and are half of that: zod's messages in 40 languages (265 KB; English
// stays) and the SDK's Ajv validator, which only checks answers to elicitation requests (135 KB; this
// server never elicits). Measured with esbuild's metafile: 805 KB → 407 KB.
const trimUnused = {
  name: "trim-unused",
  setup(b) {
    b.onLoad({ filter: /[\\/]zod[\\/]v4[\\/]locales[\\/]index\.js$/ }, (args) => ({
      contents: 'export { default as en } from "./en.js";',
      resolveDir: dirname(args.path),
    }));
    b.onLoad(
      { filter: /[\\/]@modelcontextprotocol[\\/]sdk[\\/]dist[\\/]esm[\\/]validation[\\/]ajv-provider\.js$/ },
      () => ({
        contents:
          'export class AjvJsonSchemaValidator { getValidator() { throw new Error("JSON Schema validation of elicitation answers is not in the versioner CLI"); } }',
      }),
    );
  },
};

const options = {
  absWorkingDir: here,
  bundle: true,
  platform: "node",
  format: "esm",
  target: "node20",
  minify: true,
  legalComments: "none",
  logLevel: "warning",
};

// The MCP server would be most of the bundle, and only `versioner mcp` runs it: it is bundled on its
// own, Brotli-compressed and embedded as a base64 string, which V8 skips over instead of parsing
// (`versioner track` in a CI step starts as fast as before, and downloads 370 KB less), then
// unpacked and loaded from a data: URL when `versioner mcp` runs.
const embedMcp = {
  name: "embed-mcp",
  setup(b) {
    b.onResolve({ filter: /^\.\/commands\/mcp\.ts$/ }, (args) => ({
      path: args.path,
      namespace: "embedded-mcp",
    }));
    b.onLoad({ filter: /.*/, namespace: "embedded-mcp" }, async () => {
      const result = await build({
        ...options,
        entryPoints: ["src/commands/mcp.ts"],
        write: false,
        plugins: [trimUnused],
      });
      const packed = brotliCompressSync(result.outputFiles[0].contents).toString("base64");
      return {
        contents: `const packed = ${JSON.stringify(packed)};
export async function mcpCommand(values, io) {
  const { brotliDecompressSync } = await import("node:zlib");
  const source = brotliDecompressSync(Buffer.from(packed, "base64")).toString("utf8");
  const module = await import("data:text/javascript;charset=utf-8," + encodeURIComponent(source));
  return module.mcpCommand(values, io);
}`,
        loader: "js",
      };
    });
  },
};

/** Bundles src/main.ts into `outfile` (default dist/versioner.mjs), executable, with a node shebang. */
export async function buildCli(outfile = resolve(here, "dist/versioner.mjs")) {
  await build({
    ...options,
    entryPoints: ["src/main.ts"],
    outfile,
    banner: { js: "#!/usr/bin/env node" },
    plugins: [embedMcp],
  });
  await chmod(outfile, 0o755);
  return outfile;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) await buildCli();
