import { type LoopbackServer, sendJson, startLoopbackServer } from "@versioner/client/testing";
import { afterAll, beforeAll, expect, it } from "vitest";
import { httpFetch } from "./http-transport.ts";

let server: LoopbackServer;
let baseUrl: string;

beforeAll(async () => {
  server = await startLoopbackServer((request, response) => {
    if (request.url === "/slow") return; // never answers
    sendJson(
      response,
      201,
      { method: request.method, auth: request.headers.authorization, body: request.body },
      { "retry-after": "3" },
    );
  });
  baseUrl = server.url;
});
afterAll(() => server.close());

it("sends method, headers and body; exposes status, headers and text", async () => {
  const response = await httpFetch(`${baseUrl}/x`, {
    method: "POST",
    headers: { Authorization: "Bearer k" },
    body: '{"a":1}',
  });
  expect(response.status).toBe(201);
  expect(response.ok).toBe(true);
  expect(response.headers.get("Retry-After")).toBe("3");
  expect(response.headers.get("x-missing")).toBeNull();
  expect(JSON.parse(await response.text())).toEqual({ method: "POST", auth: "Bearer k", body: '{"a":1}' });
});

it("reports a refused connection like fetch does, with the socket code as cause", async () => {
  const closed = await startLoopbackServer(() => {});
  await closed.close();
  const error = await httpFetch(`${closed.url}/`).catch((caught: unknown) => caught);
  expect(error).toBeInstanceOf(TypeError);
  expect(((error as Error).cause as NodeJS.ErrnoException).code).toBe("ECONNREFUSED");
});

it("aborts on the caller's signal with an AbortError", async () => {
  const error = await httpFetch(`${baseUrl}/slow`, { signal: AbortSignal.timeout(50) }).catch(
    (caught: unknown) => caught,
  );
  expect(["AbortError", "TimeoutError"]).toContain((error as Error).name);
});
