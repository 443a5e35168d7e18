import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";

export interface ReceivedRequest {
  headers: IncomingHttpHeaders;
  body: string;
  json: any;
  /** The status this receiver answered with. */
  status: number;
}

/**
 * A loopback HTTP endpoint standing in for Slack, Teams or a webhook consumer (used by the
 * collector's tests and the end-to-end tests). It answers with the statuses in `script`, in order,
 * then with `fallback` (200 unless changed).
 */
export interface HttpReceiver {
  url: string;
  received: ReceivedRequest[];
  script: Array<number | { status: number; headers?: Record<string, string> }>;
  fallback: number;
  close(): Promise<void>;
}

export async function startReceiver(script: HttpReceiver["script"] = []): Promise<HttpReceiver> {
  const received: ReceivedRequest[] = [];
  const server: Server = createServer((req, res) => {
    let body = "";
    req.setEncoding("utf8");
    req.on("data", (chunk: string) => {
      body += chunk;
    });
    req.on("end", () => {
      const next = receiver.script.shift() ?? receiver.fallback;
      const { status, headers } = typeof next === "number" ? { status: next, headers: {} } : next;
      received.push({ headers: req.headers, body, json: body ? JSON.parse(body) : undefined, status });
      res.writeHead(status, { "content-type": "text/plain", ...headers });
      res.end(status < 300 ? "ok" : `answered ${status}`);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  const receiver: HttpReceiver = {
    // The path stands for the secret part of a Slack or Teams webhook URL.
    url: `http://127.0.0.1:${port}/services/T000/B000/secret-token`,
    received,
    script: [...script],
    fallback: 200,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
  return receiver;
}
