import { request as httpRequest, type IncomingMessage } from "node:http";
import type { AddressInfo } from "node:net";
import { serve } from "@hono/node-server";
import { Hono } from "hono";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ADMIN_TOKEN, createTestApp, type TestApp, unique } from "../testing/test-app.ts";
import { limitBody } from "./node-body.ts";

// The body limit and the ingest routes' body read from Node's request stream (node-body.ts): the
// same answers over a real socket as through `app.request` (which takes hono's bodyLimit path),
// for a body with a Content-Length, a chunked one, one over the limit, malformed JSON and a BOM.

const LIMIT = 4096;
let t: TestApp;
let server: ReturnType<typeof serve>;
let port: number;
/** The requests @hono/node-server handed the app, last one last. */
const handed: Request[] = [];
beforeAll(async () => {
  t = await createTestApp({ VERSIONER_BODY_LIMIT_BYTES: String(LIMIT) });
  const fetch: typeof t.app.fetch = (request, ...rest) => {
    handed.push(request);
    return t.app.fetch(request, ...rest);
  };
  server = serve({ fetch, port: 0, hostname: "127.0.0.1" });
  await new Promise<void>((resolve) => server.once("listening", resolve));
  port = (server.address() as AddressInfo).port;
});
afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
  await t.close();
});

interface Answer {
  status: number;
  code?: string;
  body: Record<string, unknown>;
}

/** POST over a socket; `chunked` sends the body without a Content-Length, in two pieces. */
function overSocket(path: string, body: Buffer, chunked = false): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      {
        host: "127.0.0.1",
        port,
        path,
        method: "POST",
        headers: {
          authorization: `Bearer ${ADMIN_TOKEN}`,
          "content-type": "application/json",
          ...(chunked ? {} : { "content-length": body.length }),
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (chunk) => chunks.push(chunk));
        res.on("end", () => {
          const parsed = JSON.parse(Buffer.concat(chunks).toString("utf8"));
          resolve({ status: res.statusCode ?? 0, code: parsed.code, body: parsed });
        });
      },
    );
    req.on("error", reject);
    if (chunked) {
      const half = Math.floor(body.length / 2);
      req.write(body.subarray(0, half));
      setTimeout(() => req.end(body.subarray(half)), 5);
    } else req.end(body);
  });
}

/** The same request through `app.request` (no Node request behind it). */
async function inProcess(path: string, body: Buffer): Promise<Answer> {
  const res = await t.app.request(path, {
    method: "POST",
    headers: { authorization: `Bearer ${ADMIN_TOKEN}`, "content-type": "application/json" },
    body,
  });
  const parsed = (await res.json()) as Record<string, unknown> & { code?: string };
  return { status: res.status, code: parsed.code, body: parsed };
}

/**
 * Whether the undici Request behind the last light request @hono/node-server handed the app was
 * built (its private cache, found by the symbol's description: a test may look).
 */
function webRequestBuilt(): boolean {
  const light = handed.at(-1) as unknown as Record<symbol, unknown>;
  const cache = Object.getOwnPropertySymbols(light).find((symbol) => symbol.description === "requestCache");
  return cache !== undefined && light[cache] !== undefined;
}

const event = (fields: object = {}) => ({
  product_name: unique("node-body"),
  version: "1.0.0",
  environment_name: "production",
  status: "success",
  ...fields,
});

describe("bodies read from Node's request", () => {
  it("records a deployment event sent with a Content-Length, and one sent chunked", async () => {
    for (const chunked of [false, true]) {
      const sent = event();
      const answer = await overSocket("/deployment-events/", Buffer.from(JSON.stringify(sent)), chunked);
      expect(answer.status).toBe(200);
      expect(answer.body).toMatchObject({ product_name: sent.product_name, status: "completed" });
      // With a Content-Length, read from Node's stream; chunked, through the web request.
      expect(webRequestBuilt()).toBe(chunked);
    }
  });

  it("reads a batch and a build event the same way", async () => {
    const product = unique("node-batch");
    const batch = await overSocket(
      "/events/batch",
      Buffer.from(
        JSON.stringify({ events: [{ kind: "deployment", event: event({ product_name: product }) }] }),
      ),
    );
    expect(batch.status).toBe(200);
    expect((batch.body.results as Array<{ status: number }>)[0]?.status).toBe(200);
    const build = await overSocket(
      "/build-events/",
      Buffer.from(JSON.stringify({ product_name: product, version: "2.0.0", status: "completed" })),
    );
    expect(build.status).toBe(200);
  });

  it("refuses a body over the limit with 413 PAYLOAD_TOO_LARGE, by its Content-Length or as it streams", async () => {
    const big = Buffer.from(JSON.stringify(event({ extra_metadata: { padding: "x".repeat(LIMIT) } })));
    for (const chunked of [false, true]) {
      const answer = await overSocket("/deployment-events/", big, chunked);
      expect({ status: answer.status, code: answer.code }).toEqual({
        status: 413,
        code: "PAYLOAD_TOO_LARGE",
      });
    }
    expect((await inProcess("/deployment-events/", big)).status).toBe(413);
  });

  it("answers malformed JSON and a byte order mark as app.request does", async () => {
    const malformed = Buffer.from('{"product_name": "x",');
    const socket = await overSocket("/deployment-events/", malformed);
    const local = await inProcess("/deployment-events/", malformed);
    expect({ status: socket.status, code: socket.code }).toEqual({ status: local.status, code: local.code });
    expect(socket.status).toBeGreaterThanOrEqual(400);
    const withBom = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(JSON.stringify(event()))]);
    const bom = await overSocket("/deployment-events/", withBom);
    expect(bom.status).toBe((await inProcess("/deployment-events/", withBom)).status);
    expect(bom.status).toBe(200);
  });

  it("leaves other routes' bodies to the web request (a product created over the socket)", async () => {
    const name = unique("node-product");
    const answer = await overSocket("/products", Buffer.from(JSON.stringify({ name })));
    expect(answer.status).toBe(201);
    expect(answer.body.name).toBe(name);
    expect(webRequestBuilt()).toBe(true);
  });
});

describe("limitBody", () => {
  it("reads a body ahead only once its route asks for it: a request refused before is never buffered", async () => {
    const app = new Hono<{ Bindings: { incoming: IncomingMessage } }>();
    app.use(
      limitBody(
        1024,
        () => {
          throw new Error("too large");
        },
        () => true,
      ),
    );
    app.post("/refused", (c) => c.json({ flowing: c.env.incoming.readableFlowing }, 401));
    app.post("/read", async (c) => c.json({ body: await c.req.json(), again: await c.req.text() }));
    const small = serve({ fetch: app.fetch, port: 0, hostname: "127.0.0.1" });
    await new Promise<void>((resolve) => small.once("listening", resolve));
    const post = async (path: string) => {
      const res = await fetch(`http://127.0.0.1:${(small.address() as AddressInfo).port}${path}`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ a: 1 }),
      });
      return { status: res.status, body: await res.json() };
    };
    try {
      // Nothing listens to the stream: it was never put in flowing mode.
      expect(await post("/refused")).toEqual({ status: 401, body: { flowing: null } });
      expect(await post("/read")).toEqual({ status: 200, body: { body: { a: 1 }, again: '{"a":1}' } });
    } finally {
      await new Promise((resolve) => small.close(resolve));
    }
  });
});
