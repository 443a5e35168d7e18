import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { DatabaseTimeoutError } from "./availability.ts";
import { serverFetch, streamFetch } from "./server-fetch.ts";

// A local server standing in for sqld: it records what it was sent and on which connection.
interface Seen {
  method: string;
  url: string;
  headers: IncomingMessage["headers"];
  body: string;
  connection: number;
}

let server: Server | undefined;
afterEach(() => {
  server?.closeAllConnections();
  server?.close();
  server = undefined;
});

async function listen(
  handle: (req: IncomingMessage, res: ServerResponse, seen: Seen) => void = (_req, res) => {
    res.writeHead(200, { "content-type": "application/json" });
    res.end('{"ok":true}');
  },
): Promise<{ url: string; seen: Seen[] }> {
  const seen: Seen[] = [];
  const connections = new WeakMap<object, number>();
  let opened = 0;
  const listening = createServer((req, res) => {
    let body = "";
    req.setEncoding("utf8");
    req.on("data", (chunk: string) => {
      body += chunk;
    });
    req.on("end", () => {
      if (!connections.has(req.socket)) connections.set(req.socket, ++opened);
      const entry = {
        method: req.method ?? "",
        url: req.url ?? "",
        headers: req.headers,
        body,
        connection: connections.get(req.socket) ?? 0,
      };
      seen.push(entry);
      handle(req, res, entry);
    });
  });
  server = listening;
  await new Promise<void>((resolve) => listening.listen(0, "127.0.0.1", resolve));
  return { url: `http://127.0.0.1:${(listening.address() as AddressInfo).port}`, seen };
}

describe("the libSQL server client's fetch", () => {
  // @libsql/client sends a Request (headers on it); a URL with init works too.
  it("sends the request as given, uncompressed answers asked for, and hands back the answer", async () => {
    const { url, seen } = await listen((_req, res) => {
      res.writeHead(201, { "content-type": "application/json", "x-answer": "yes" });
      res.end('{"results":[1,2]}');
    });
    const send = serverFetch(5_000);
    const first = await send(
      new Request(`${url}/v3/pipeline`, {
        method: "POST",
        body: '{"baton":null}',
        headers: { authorization: "Bearer a", "content-type": "application/json" },
      }),
    );
    const second = await send(`${url}/v3`, { method: "GET", headers: { authorization: "Bearer b" } });
    expect([first.status, first.ok, first.headers.get("x-answer")]).toEqual([201, true, "yes"]);
    expect(await first.json()).toEqual({ results: [1, 2] });
    expect(await second.text()).toBe('{"results":[1,2]}');
    expect(seen.map(({ method, url, body }) => ({ method, url, body }))).toEqual([
      { method: "POST", url: "/v3/pipeline", body: '{"baton":null}' },
      { method: "GET", url: "/v3", body: "" },
    ]);
    expect(seen.map((request) => request.headers["accept-encoding"])).toEqual(["identity", "identity"]);
    expect(seen.map((request) => request.headers.authorization)).toEqual(["Bearer a", "Bearer b"]);
    expect(seen[0]?.headers["content-type"]).toBe("application/json");
  });

  it("keeps the connection open for the next request", async () => {
    const { url, seen } = await listen();
    const send = serverFetch(5_000);
    for (let i = 0; i < 3; i++) await (await send(url, { method: "POST", body: `${i}` })).text();
    expect(seen.map((request) => request.connection)).toEqual([1, 1, 1]);
  });

  it("gives up on a server that does not answer, with DatabaseTimeoutError", async () => {
    const { url } = await listen(() => {});
    await expect(serverFetch(200)(url, { method: "POST", body: "{}" })).rejects.toBeInstanceOf(
      DatabaseTimeoutError,
    );
  });

  it("fails as fetch does when nothing listens, naming the socket's error", async () => {
    const { url } = await listen();
    server?.close();
    server = undefined;
    const failure = await serverFetch(5_000)(url, { method: "POST", body: "{}" }).catch((error) => error);
    expect(failure).toBeInstanceOf(TypeError);
    expect(failure.message).toBe("fetch failed");
    expect(failure.cause.code).toBe("ECONNREFUSED");
  });

  it("sends again on a new connection when the server closed the kept-alive one", async () => {
    // The server drops the kept-alive connection as the second request arrives on it (as a server
    // does with a connection it let idle too long): the request is sent once more, on a new one.
    const { url, seen } = await listen((req, res, entry) => {
      if (seen.length === 2) {
        req.socket.destroy();
        return;
      }
      res.writeHead(200, { "content-type": "text/plain" });
      res.end(`answer ${entry.connection}`);
    });
    const send = serverFetch(5_000);
    expect(await (await send(url, { method: "POST", body: "a" })).text()).toBe("answer 1");
    expect(await (await send(url, { method: "POST", body: "b" })).text()).toBe("answer 2");
    expect(seen.map((request) => [request.body, request.connection])).toEqual([
      ["a", 1],
      ["b", 1],
      ["b", 2],
    ]);
  });

  it("answers the kept streams with what a Response of the same answer reads", async () => {
    const body = '{"baton":"b","results":[{"type":"ok"}],"text":"été"}';
    for (const status of [200, 400]) {
      const { url } = await listen((_req, res) => {
        res.writeHead(status, { "content-type": "application/json", "x-answer": "yes" });
        res.end(body);
      });
      const send = () => new Request(`${url}/v2/pipeline`, { method: "POST", body: "{}" });
      const [plain, full] = await Promise.all([streamFetch(5_000)(send()), serverFetch(5_000)(send())]);
      expect([plain.ok, plain.status, plain.headers.get("x-answer")]).toEqual([
        full.ok,
        full.status,
        full.headers.get("x-answer"),
      ]);
      const again = await streamFetch(5_000)(send());
      expect(await plain.json()).toEqual(await full.json());
      expect(await again.text()).toBe(body);
      expect(new TextDecoder().decode(await plain.arrayBuffer())).toBe(body);
      expect(plain.body).toBeNull();
      server?.closeAllConnections();
      server?.close();
    }
  });
});
