import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type HttpReceiver, startReceiver } from "../testing/http-receiver.ts";
import { fetchWithTimeout } from "./availability.ts";

describe("the libSQL server client's fetch", () => {
  let server: HttpReceiver;
  beforeAll(async () => {
    server = await startReceiver();
  });
  afterAll(() => server.close());

  // @libsql/client sends a Request (headers on it) or a URL with init: both keep their headers.
  it("asks for uncompressed answers and keeps the client's own headers", async () => {
    const send = fetchWithTimeout(5_000);
    const sent = [
      await send(
        new Request(server.url, { method: "POST", body: "{}", headers: { authorization: "Bearer a" } }),
      ),
      await send(server.url, { method: "POST", body: "{}", headers: { authorization: "Bearer b" } }),
    ];
    expect(sent.map((res) => res.status)).toEqual([200, 200]);
    expect(server.received.map((request) => request.headers["accept-encoding"])).toEqual([
      "identity",
      "identity",
    ]);
    expect(server.received.map((request) => request.headers.authorization)).toEqual(["Bearer a", "Bearer b"]);
  });
});
