#!/usr/bin/env node
// `versioner` inside this repository (`npx versioner …`, node_modules/.bin/versioner): runs the
// bundle in dist/, building it first when it is missing (a clean tree, or an install that skipped
// the root postinstall). Outside the repository use the bundle itself (see docs/integrations/cli.md).
import { existsSync } from "node:fs";

const bundle = new URL("../dist/versioner.mjs", import.meta.url);
if (!existsSync(bundle)) {
  const { buildCli } = await import("../build.mjs");
  await buildCli();
}
// The bundle reads process.argv.slice(2): [node, this file, ...the user's arguments].
await import(bundle.href);
