import { inspect } from "node:util";
import { afterEach, describe, expect, it } from "vitest";
import { type RetryInfo, VersionerClient, type VersionerClientOptions } from "./client.ts";
import {
  ApiError,
  AuthError,
  PreflightBlockedError,
  UnreachableError,
  ValidationError,
  VersionerError,
} from "./errors.ts";
import {
  type LoopbackHandler,
  type LoopbackServer,
  sendJson,
  startLoopbackServer,
} from "./testing/loopback-server.ts";

const API_KEY = "sk_test_SuperSecretKey_0123456789";
const BUILD = { product_name: "shop-api", version: "1.2.3", status: "completed" };
const BUILD_RESPONSE = { id: "b1", build_id: "b1", version_id: "v1", product_id: "p1", version: "1.2.3" };

let server: LoopbackServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

async function setup(handler: LoopbackHandler, options: Partial<VersionerClientOptions> = {}) {
  server = await startLoopbackServer(handler);
  const retries: RetryInfo[] = [];
  const client = new VersionerClient({
    apiUrl: `${server.url}/`,
    apiKey: API_KEY,
    retryBaseMs: 5,
    onRetry: (info) => retries.push(info),
    ...options,
  });
  return { client, retries, requests: server.requests };
}

async function caught(promise: Promise<unknown>): Promise<VersionerError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof VersionerError) return error;
    throw error;
  }
  throw new Error("expected the call to fail");
}

describe("VersionerClient", () => {
  it("posts the event with auth, user agent and an idempotency key", async () => {
    const { client, requests } = await setup((_req, res) => sendJson(res, 200, BUILD_RESPONSE));
    await expect(client.trackBuild(BUILD)).resolves.toEqual(BUILD_RESPONSE);
    expect(requests).toHaveLength(1);
    const [request] = requests;
    expect(request?.method).toBe("POST");
    expect(request?.url).toBe("/build-events/");
    expect(request?.headers.authorization).toBe(`Bearer ${API_KEY}`);
    expect(request?.headers["user-agent"]).toMatch(/^versioner-client\/\d+\.\d+\.\d+/);
    expect(request?.headers["content-type"]).toBe("application/json");
    expect(request?.headers["idempotency-key"]).toMatch(/^[0-9a-f-]{36}$/);
    expect(JSON.parse(request?.body ?? "")).toEqual(BUILD);
  });

  it("retries a 500 and reuses the same Idempotency-Key on every attempt", async () => {
    const { client, requests, retries } = await setup((_req, res, index) =>
      index < 2
        ? sendJson(res, 500, { detail: "boom", code: "INTERNAL_ERROR" })
        : sendJson(res, 200, BUILD_RESPONSE),
    );
    await expect(client.trackDeployment({ ...BUILD, environment_name: "prod" })).resolves.toEqual(
      BUILD_RESPONSE,
    );
    expect(requests).toHaveLength(3);
    expect(requests.every((r) => r.url === "/deployment-events/")).toBe(true);
    const keys = new Set(requests.map((r) => r.headers["idempotency-key"]));
    expect(keys.size).toBe(1);
    expect(retries.map((r) => [r.attempt, r.reason, r.status])).toEqual([
      [1, "HTTP 500", 500],
      [2, "HTTP 500", 500],
    ]);
  });

  it("retries a GET through request(), but never a POST without an idempotency key", async () => {
    const { client, requests } = await setup((_req, res, index) =>
      index % 2 === 0
        ? sendJson(res, 503, { detail: "busy", code: "UNAVAILABLE" })
        : sendJson(res, 200, { items: [] }),
    );
    await expect(client.request("GET", "/locks")).resolves.toEqual({ items: [] });
    const error = await caught(client.request("POST", "/deployment-requests", { product: "shop-api" }));
    expect(error).toMatchObject({ kind: "api", status: 503 });
    expect(requests.map((r) => `${r.method} ${r.url}`)).toEqual([
      "GET /locks",
      "GET /locks",
      "POST /deployment-requests",
    ]);
  });

  it("uses a given idempotency key, and a new one per logical event otherwise", async () => {
    const { client, requests } = await setup((_req, res) => sendJson(res, 200, BUILD_RESPONSE));
    await client.trackBuild(BUILD, { idempotencyKey: "my-key" });
    await client.trackBuild(BUILD);
    await client.trackBuild(BUILD);
    const keys = requests.map((r) => r.headers["idempotency-key"]);
    expect(keys[0]).toBe("my-key");
    expect(keys[1]).not.toBe(keys[2]);
  });

  it("honours Retry-After seconds on 429", async () => {
    const { client, requests, retries } = await setup((_req, res, index) =>
      index === 0
        ? sendJson(res, 429, { detail: "slow down", code: "RATE_LIMITED" }, { "Retry-After": "1" })
        : sendJson(res, 200, BUILD_RESPONSE),
    );
    await expect(client.trackBuild(BUILD)).resolves.toEqual(BUILD_RESPONSE);
    expect(requests).toHaveLength(2);
    expect(retries).toEqual([
      { method: "POST", path: "/build-events/", attempt: 1, delayMs: 1000, reason: "HTTP 429", status: 429 },
    ]);
  });

  it("caps a long Retry-After and accepts an HTTP date", async () => {
    const future = new Date(Date.now() + 3_600_000).toUTCString();
    const { client, retries } = await setup(
      (_req, res, index) =>
        index === 0 ? sendJson(res, 503, {}, { "Retry-After": future }) : sendJson(res, 200, BUILD_RESPONSE),
      { maxRetryDelayMs: 20 },
    );
    await client.trackBuild(BUILD);
    expect(retries.map((r) => r.delayMs)).toEqual([20]);
  });

  it("gives up on 429 with an ApiError once attempts are exhausted", async () => {
    const { client, requests } = await setup(
      (_req, res) =>
        sendJson(res, 429, { detail: "slow down", code: "RATE_LIMITED" }, { "Retry-After": "0" }),
      { maxAttempts: 2 },
    );
    const error = await caught(client.trackBuild(BUILD));
    expect(error).toBeInstanceOf(ApiError);
    expect(error.status).toBe(429);
    expect(requests).toHaveLength(2);
  });

  it("retries with the same key when the connection drops after the server recorded the request", async () => {
    const { client, requests, retries } = await setup((_req, res, index, raw) => {
      if (index === 0) raw.socket.destroy();
      else sendJson(res, 200, BUILD_RESPONSE);
    });
    await expect(client.trackBuild(BUILD)).resolves.toEqual(BUILD_RESPONSE);
    expect(requests).toHaveLength(2);
    expect(requests[0]?.headers["idempotency-key"]).toBe(requests[1]?.headers["idempotency-key"]);
    expect(retries[0]?.reason).toMatch(/^network error/);
  });

  it("times out a hanging attempt and retries it", async () => {
    const { client, requests, retries } = await setup(
      (_req, res, index) => {
        if (index > 0) sendJson(res, 200, BUILD_RESPONSE);
        // The first request is never answered.
      },
      { timeoutMs: 200 },
    );
    await expect(client.trackBuild(BUILD)).resolves.toEqual(BUILD_RESPONSE);
    expect(requests).toHaveLength(2);
    expect(retries[0]?.reason).toBe("timeout after 200 ms");
  });

  it("throws UnreachableError with the attempt count when every attempt times out", async () => {
    const { client } = await setup(() => {}, { timeoutMs: 100, maxAttempts: 2 });
    const error = await caught(client.health());
    expect(error).toBeInstanceOf(UnreachableError);
    expect(error.kind).toBe("unreachable");
    expect((error as UnreachableError).attempts).toBe(2);
    expect(error.message).toMatch(/timeout/);
  });

  it("throws UnreachableError after exhausting 5xx retries", async () => {
    const { client, requests } = await setup((_req, res) => sendJson(res, 503, { detail: "down" }), {
      maxAttempts: 3,
    });
    const error = await caught(client.trackBuild(BUILD));
    expect(error).toBeInstanceOf(UnreachableError);
    expect(error.status).toBe(503);
    expect((error as UnreachableError).attempts).toBe(3);
    expect(requests).toHaveLength(3);
  });

  it("stops retrying when the total time budget is spent", async () => {
    const { client, requests } = await setup((_req, res) => sendJson(res, 500, {}, { "Retry-After": "10" }), {
      maxAttempts: 10,
      maxTotalMs: 5000,
      maxRetryDelayMs: 60_000,
    });
    const error = await caught(client.trackBuild(BUILD));
    expect(error).toBeInstanceOf(UnreachableError);
    expect(requests).toHaveLength(1);
  });

  it("reports a refused connection as unreachable", async () => {
    const { client } = await setup(() => {}, { maxAttempts: 2 });
    await server?.close();
    server = undefined;
    const error = await caught(client.getState());
    expect(error).toBeInstanceOf(UnreachableError);
    const url = new URL("/state", (error.message.match(/http:\/\/\S+/) ?? [""])[0]).href;
    expect(error.message).toBe(
      `GET ${url} failed after 2 attempt(s): network error: connection refused, nothing listens at that address and port (ECONNREFUSED)`,
    );
  });

  it("names the URL and a DNS failure for a host that does not resolve", async () => {
    // `.invalid` never resolves (RFC 6761); without network the resolver fails the same way.
    const client = new VersionerClient({ apiUrl: "http://collector.invalid:8080", maxAttempts: 1 });
    const error = await caught(client.getState());
    expect(error).toBeInstanceOf(UnreachableError);
    expect(error.message).toMatch(
      /^GET http:\/\/collector\.invalid:8080\/state failed after 1 attempt\(s\): network error: .*DNS lookup failed.* \((ENOTFOUND|EAI_AGAIN)\)$/,
    );
  });

  it("names the URL of a timed-out request", async () => {
    const { client } = await setup(() => {}, { timeoutMs: 100, maxAttempts: 1 });
    const error = await caught(client.getState());
    expect(error.message).toBe(`GET ${server?.url}/state failed after 1 attempt(s): timeout after 100 ms`);
  });

  it("treats 422 as final and exposes the issues", async () => {
    const detail = [{ loc: ["body", "product_name"], msg: "field required", type: "missing" }];
    const { client, requests } = await setup((_req, res) =>
      sendJson(res, 422, { detail, code: "VALIDATION_ERROR", request_id: "r1" }),
    );
    const error = await caught(client.trackBuild(BUILD));
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).issues).toEqual(detail);
    expect(error.message).toContain("body.product_name: field required");
    expect(requests).toHaveLength(1);
  });

  it("maps a 400 with a string detail to a ValidationError", async () => {
    const { client } = await setup((_req, res) =>
      sendJson(res, 400, { detail: "Invalid JSON", code: "INVALID_JSON" }),
    );
    const error = await caught(client.trackBuild(BUILD));
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).issues).toEqual([
      { loc: [], msg: "Invalid JSON", type: "INVALID_JSON" },
    ]);
  });

  it.each([401, 403])("maps %i to a final AuthError", async (status) => {
    const { client, requests } = await setup((_req, res) =>
      sendJson(res, status, { detail: "no", code: "X" }),
    );
    const error = await caught(client.getState());
    expect(error).toBeInstanceOf(AuthError);
    expect(error.kind).toBe("auth");
    expect(requests).toHaveLength(1);
  });

  it.each([409, 423, 428])("maps a deployment_blocked %i to PreflightBlockedError", async (status) => {
    const block = {
      error: "deployment_blocked",
      code: "NO_DEPLOY_WINDOW",
      message: "Friday freeze",
      retry_after: "2026-01-05T08:00:00Z",
      details: { rule_name: "No Friday deploys" },
    };
    const { client, requests } = await setup((_req, res) =>
      sendJson(res, status, { detail: block, code: "X" }),
    );
    const error = await caught(client.trackDeployment({ ...BUILD, environment_name: "prod" }));
    expect(error).toBeInstanceOf(PreflightBlockedError);
    expect(error).toMatchObject({
      kind: "preflight_blocked",
      status,
      code: "NO_DEPLOY_WINDOW",
      message: "Friday freeze",
      retryAfter: "2026-01-05T08:00:00Z",
      details: { rule_name: "No Friday deploys" },
    });
    expect(requests).toHaveLength(1);
  });

  it("maps a 409 version conflict to ApiError", async () => {
    const { client } = await setup((_req, res) =>
      sendJson(res, 409, { detail: "version 1.2.3 has another SHA", code: "VERSION_SHA_CONFLICT" }),
    );
    const error = await caught(client.trackBuild(BUILD));
    expect(error).toBeInstanceOf(ApiError);
    expect(error).toMatchObject({
      status: 409,
      code: "VERSION_SHA_CONFLICT",
      detail: "version 1.2.3 has another SHA",
    });
  });

  it("never exposes the API key in errors, retry info or when inspected", async () => {
    const { client, retries } = await setup((req, res, index) => {
      const echoed = `bad token ${req.headers.authorization}`;
      if (index === 0) sendJson(res, 500, { detail: echoed });
      else sendJson(res, 401, { detail: echoed, code: "UNAUTHORIZED" });
    });
    const error = await caught(client.trackBuild(BUILD));
    expect(error).toBeInstanceOf(AuthError);
    expect(error.message).toContain("bad token Bearer ***");
    for (const text of [
      error.message,
      String(error.stack),
      inspect(error),
      JSON.stringify(retries),
      inspect(client),
    ]) {
      expect(text).not.toContain(API_KEY);
    }
  });

  it("builds query strings and encodes path segments", async () => {
    const { client, requests } = await setup((_req, res) =>
      sendJson(res, 200, { items: [], next_cursor: null }),
    );
    await client.listDeployments({ product: "shop api", environment: "prod", limit: 10, status: undefined });
    await client.getProduct("a/b");
    await client.listDeployments();
    expect(requests.map((r) => [r.method, r.url, r.headers["idempotency-key"]])).toEqual([
      ["GET", "/deployments?product=shop+api&environment=prod&limit=10", undefined],
      ["GET", "/products/a%2Fb", undefined],
      ["GET", "/deployments", undefined],
    ]);
  });

  it("rejects an API URL without a scheme", () => {
    expect(() => new VersionerClient({ apiUrl: "versioner.example.com" })).toThrow(/http/);
  });

  it("rejects an API URL with credentials without echoing them", () => {
    const create = () => new VersionerClient({ apiUrl: "https://admin:hunter2@versioner.example.com" });
    expect(create).toThrow(/must not contain a user name or password/);
    expect(create).not.toThrow(/hunter2/);
  });
});
