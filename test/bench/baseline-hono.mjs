// Ceiling B: a bare Hono route on @hono/node-server. Parses the JSON body and answers 200, no database.
// Spawned by servers.mjs; writes its port on stdout once listening.
import { serve } from "@hono/node-server";
import { Hono } from "hono";
import { exitWithParent, loadCannedDocument } from "./baseline-body.mjs";

const canned = loadCannedDocument();
const app = new Hono();
app.post("*", async (c) => {
  await c.req.json();
  return c.json({ ok: true });
});
app.get("*", (c) => c.json(canned));

const server = serve({ fetch: app.fetch, port: 0, hostname: "127.0.0.1" }, (info) => {
  process.stdout.write(`${info.port}\n`);
});
exitWithParent((done) => server.close(done));
