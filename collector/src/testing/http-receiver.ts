import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";

export interface ReceivedRequest {
  headers: IncomingHttpHeaders;
  body: string;
  json: any;
}

export interface HttpReceiver {
  url: string;
  received: ReceivedRequest[];
  /** Status codes to answer with, in order (the array given to startReceiver); 200 once they run out. */
  script: Array<number | { status: number; headers?: Record<string, string> }>;
  close(): Promise<void>;
}

/** A loopback HTTP endpoint that records every request, standing in for Slack, Teams or a webhook. */
export async function startReceiver(script: HttpReceiver["script"] = []): Promise<HttpReceiver> {
  const received: ReceivedRequest[] = [];
  const server: Server = createServer((req, res) => {
    let body = "";
    req.setEncoding("utf8");
    req.on("data", (chunk: string) => {
      body += chunk;
    });
    req.on("end", () => {
      received.push({ headers: req.headers, body, json: body ? JSON.parse(body) : undefined });
      const next = script.shift() ?? 200;
      const { status, headers } = typeof next === "number" ? { status: next, headers: {} } : next;
      res.writeHead(status, { "content-type": "text/plain", ...headers });
      res.end(status < 300 ? "ok" : `status ${status}`);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/hook/secret-token-path`,
    received,
    script,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
