// Ceiling A: plain node:http. Parses the JSON body of every POST and answers 200, no database.
// Spawned by servers.mjs; writes its port on stdout once listening.
import { createServer } from "node:http";
import { exitWithParent, loadCannedDocument } from "./baseline-body.mjs";

const canned = loadCannedDocument();
const ACCEPTED = JSON.stringify({ ok: true });

const server = createServer((request, response) => {
  if (request.method === "GET") {
    response.writeHead(200, { "content-type": "application/json" });
    response.end(JSON.stringify(canned));
    return;
  }
  const chunks = [];
  request.on("data", (chunk) => chunks.push(chunk));
  request.on("end", () => {
    try {
      JSON.parse(Buffer.concat(chunks).toString("utf8"));
    } catch {
      response.writeHead(400, { "content-type": "application/json" });
      response.end(JSON.stringify({ detail: "malformed JSON" }));
      return;
    }
    response.writeHead(200, { "content-type": "application/json" });
    response.end(ACCEPTED);
  });
});

server.listen(0, "127.0.0.1", () => {
  process.stdout.write(`${server.address().port}\n`);
});
exitWithParent((done) => server.close(done));
