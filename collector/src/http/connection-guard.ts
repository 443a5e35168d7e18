import type { Server, ServerOptions } from "node:http";
import type { Socket } from "node:net";
import type { ConnectionLimits } from "../config.ts";
import type { Logger } from "../logger.ts";

// Node checks headersTimeout and requestTimeout on this period; its 30 s default would let a
// slow client outlive a short timeout by that much.
const CHECK_INTERVAL_MS = 1000;
const REFUSAL_LOG_INTERVAL_MS = 60_000;

/** Options for the HTTP server's constructor (the checking interval can only be set there). */
export function connectionServerOptions(limits: ConnectionLimits): ServerOptions {
  return {
    headersTimeout: limits.headersTimeoutMs,
    requestTimeout: limits.requestTimeoutMs,
    keepAliveTimeout: limits.keepAliveTimeoutMs,
    connectionsCheckingInterval: Math.min(CHECK_INTERVAL_MS, limits.headersTimeoutMs),
  };
}

/**
 * Drops clients that hold a connection without using it, and caps the connections one address
 * may hold, so a flood of silent sockets cannot use up the process's file descriptors.
 * Node's headersTimeout only starts at a request's first byte: a socket that never sends one is
 * closed here after the same time.
 */
export function guardConnections(server: Server, limits: ConnectionLimits, logger: Logger): void {
  server.keepAliveTimeout = limits.keepAliveTimeoutMs;
  const open = new Map<string, number>();
  const lastLogged = new Map<string, number>();
  server.on("connection", (socket: Socket) => {
    const address = socket.remoteAddress ?? "unknown";
    const count = (open.get(address) ?? 0) + 1;
    if (limits.maxPerAddress > 0 && count > limits.maxPerAddress) {
      socket.destroy();
      const now = Date.now();
      if (now - (lastLogged.get(address) ?? 0) >= REFUSAL_LOG_INTERVAL_MS) {
        lastLogged.set(address, now);
        logger.warn("connection refused: too many open connections from one address", {
          address,
          limit: limits.maxPerAddress,
        });
      }
      return;
    }
    open.set(address, count);
    socket.once("close", () => {
      const left = (open.get(address) ?? 1) - 1;
      if (left > 0) open.set(address, left);
      else open.delete(address);
    });
    const silent = () => socket.destroy();
    socket.setTimeout(limits.headersTimeoutMs);
    socket.once("timeout", silent);
    socket.once("data", () => {
      socket.off("timeout", silent);
      socket.setTimeout(0);
    });
  });
}
