import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { createServer, request, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ciFreeEnv } from "../support/ci-free-env.ts";
import { api, CLI_ENTRY, type RunningCollector, startCollector } from "../support/collector.ts";

const run = promisify(execFile);

/**
 * A proxy in front of the real collector that fails the way networks do: the first attempt gets a
 * 503 without reaching the collector; the second reaches it (the deployment is written) but the
 * connection drops before the answer; later attempts pass through.
 */
function flakyProxy(target: string): Promise<{ server: Server; url: string; keys: string[] }> {
  const keys: string[] = [];
  const server = createServer((req, res) => {
    keys.push(String(req.headers["idempotency-key"]));
    const attempt = keys.length;
    if (attempt === 1) {
      res.writeHead(503, { "content-type": "application/json" }).end('{"detail":"warming up"}');
      return;
    }
    const upstream = request(
      `${target}${req.url}`,
      { method: req.method, headers: req.headers },
      (answer) => {
        if (attempt === 2) {
          answer.resume();
          answer.on("end", () => req.socket.destroy());
          return;
        }
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    req.pipe(upstream);
  });
  return new Promise((resolve) =>
    server.listen(0, "127.0.0.1", () =>
      resolve({ server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, keys }),
    ),
  );
}

describe("CLI retries against the real collector", () => {
  let collector: RunningCollector;
  beforeAll(async () => {
    expect(existsSync(CLI_ENTRY), "build the CLI first (npm run build)").toBe(true);
    collector = await startCollector();
  });
  afterAll(async () => {
    await collector.stop();
  });

  it("survives a 5xx and a connection dropped after the write, recording exactly one deployment", async () => {
    const proxy = await flakyProxy(collector.url);
    try {
      const { stdout } = await run(
        process.execPath,
        [
          CLI_ENTRY,
          "track",
          "deployment",
          "--product",
          "retry-svc",
          "--version",
          "4.2.0",
          "--environment",
          "production",
          "--status",
          "completed",
        ],
        { env: { ...ciFreeEnv(), VERSIONER_API_URL: proxy.url, VERSIONER_API_KEY: collector.token } },
      );
      expect(stdout).toContain("retry-svc");
      expect(proxy.keys).toHaveLength(3);
      expect(new Set(proxy.keys).size).toBe(1);
      const deployments = await api(collector, "GET", "/deployments?product=retry-svc");
      expect(deployments.body.items).toHaveLength(1);
      expect(deployments.body.items[0]).toMatchObject({ version: "4.2.0", status: "completed" });
    } finally {
      proxy.server.close();
    }
  });
});
