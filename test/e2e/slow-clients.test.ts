import { connect, type Socket } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type RunningCollector, startCollector } from "../support/collector.ts";
import { waitFor } from "../support/wait-for.ts";

// The flood comes from another loopback address than the health checks, as it would from
// another host: the per-address cap protects everyone else.
const ATTACKER = "127.0.0.2";
const SILENT_CONNECTIONS = 1100;

let collector: RunningCollector;

beforeAll(async () => {
  collector = await startCollector({
    fdLimit: 1024,
    env: {
      VERSIONER_HEADERS_TIMEOUT_MS: "2000",
      VERSIONER_REQUEST_TIMEOUT_MS: "4000",
      VERSIONER_MAX_CONNECTIONS_PER_ADDRESS: "200",
    },
  });
});
afterAll(() => collector?.stop());

function open(port: number, localAddress: string): Promise<Socket | undefined> {
  return new Promise((resolve) => {
    const socket = connect({ host: "127.0.0.1", port, localAddress });
    socket.on("error", () => resolve(undefined));
    socket.once("connect", () => resolve(socket));
  });
}

const health = async () => (await fetch(`${collector.url}/health`).catch(() => undefined))?.status;

describe("silent and slow clients", () => {
  it("keeps answering while 1,100 silent connections are held under a 1,024 file limit, then drops them", async () => {
    const port = Number(new URL(collector.url).port);
    const sockets: Socket[] = [];
    for (let i = 0; i < SILENT_CONNECTIONS; i += 100) {
      const batch = await Promise.all(Array.from({ length: 100 }, () => open(port, ATTACKER)));
      for (const socket of batch) {
        if (socket) sockets.push(socket);
      }
    }
    try {
      expect(sockets.length).toBeGreaterThan(0);
      // Over the cap, connections are closed at once; the rest do not starve anyone else.
      expect(await health()).toBe(200);
      // A silent connection is closed after the headers timeout (2 s here).
      await waitFor(
        "every silent connection to be closed by the collector",
        // Read the sockets' state, not a count of close events: over the cap a socket may be closed
        // before a listener could be attached to it.
        () => sockets.every((socket) => socket.destroyed),
        15_000,
      );
      expect(await health()).toBe(200);
      expect(collector.output()).toContain("too many open connections from one address");
    } finally {
      for (const socket of sockets) socket.destroy();
    }
  }, 60_000);

  it("drops a client that sends its request one byte a second", async () => {
    const port = Number(new URL(collector.url).port);
    const socket = await open(port, "127.0.0.1");
    if (!socket) throw new Error("could not connect");
    const request = "POST /deployment-events/ HTTP/1.1\r\nHost: x\r\n";
    let sent = 0;
    const drip = setInterval(() => {
      if (!socket.destroyed) socket.write(request.charAt(sent++ % request.length));
    }, 1000);
    let closed = false;
    socket.on("error", () => {});
    socket.on("close", () => {
      closed = true;
    });
    try {
      await waitFor("the dripping connection to be closed", () => closed, 15_000);
      // Dropped by the 2 s headers timeout, long before its headers were complete.
      expect(sent).toBeLessThan(request.length);
    } finally {
      clearInterval(drip);
      socket.destroy();
    }
  }, 30_000);
});
