import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, expect, it } from "vitest";
import { httpFetch } from "./http-transport.ts";

let server: Server;
let baseUrl: string;

beforeAll(async () => {
  server = createServer((request, response) => {
    let body = "";
    request.on("data", (chunk) => {
      body += chunk;
    });
    request.on("end", () => {
      if (request.url === "/slow") return; // never answers
      response.writeHead(201, { "content-type": "application/json", "retry-after": "3" });
      response.end(JSON.stringify({ method: request.method, auth: request.headers.authorization, body }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => {
  server.closeAllConnections();
  return new Promise<void>((resolve) => server.close(() => resolve()));
});

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
  const closed = createServer();
  await new Promise<void>((resolve) => closed.listen(0, "127.0.0.1", resolve));
  const port = (closed.address() as AddressInfo).port;
  await new Promise((resolve) => closed.close(resolve));
  const error = await httpFetch(`http://127.0.0.1:${port}/`).catch((caught: unknown) => caught);
  expect(error).toBeInstanceOf(TypeError);
  expect(((error as Error).cause as NodeJS.ErrnoException).code).toBe("ECONNREFUSED");
});

it("aborts on the caller's signal with an AbortError", async () => {
  const error = await httpFetch(`${baseUrl}/slow`, { signal: AbortSignal.timeout(50) }).catch(
    (caught: unknown) => caught,
  );
  expect(["AbortError", "TimeoutError"]).toContain((error as Error).name);
});
