import http from "node:http";
import https from "node:https";
import { DatabaseTimeoutError } from "./availability.ts";

/**
 * The fetch the libSQL HTTP client sends its requests to a libSQL server with: node:http over
 * keep-alive connections, each request given up after `ms`, answers asked for uncompressed.
 *
 * - Not the global fetch: undici's fetch cost the collector about 2 ms of CPU per request to sqld
 *   (streams, abort signals, a Request copied), this one about 0.8 ms, most of it the client's own
 *   encoding (probe: 1,000 `SELECT ?` one after another, 2.5 → 0.8 ms of client CPU each). A group
 *   of ingest sends about ten requests.
 * - A timeout: without one a frozen server holds every request (and every connection) open for as
 *   long as it stays frozen; it rejects with DatabaseTimeoutError.
 * - `Accept-Encoding: identity`: the server is a database next to the collector; compressing every
 *   result there and inflating it here cost both processes CPU for bytes that cross once.
 * - A failure to connect rejects as fetch does (`TypeError: fetch failed`, the socket's error as
 *   its cause), which the availability check reads. A kept-alive connection the server closed
 *   while idle fails the next request before the server read it: that request is sent once more on
 *   a new connection, as Node's documentation advises.
 */
export function serverFetch(ms: number): typeof fetch {
  return exchange(
    ms,
    (answer) => new Response(answer.body, { status: answer.status, headers: answer.headers }),
  );
}

/**
 * serverFetch for the kept streams' Hrana client (server-client.ts), answering with a plain object
 * in place of a Fetch `Response`: the client reads an answer's status, a header and its whole body
 * (`json()`, `text()`, `arrayBuffer()`), never its stream, and undici's `Response` (its body
 * stream, transferable, its headers) was a third of the collector's CPU per request to sqld
 * (probe: 3,000 read batches of three queries one after another, 659 → 421 µs each).
 */
export function streamFetch(ms: number): Exchange<PlainResponse> {
  return exchange(ms, (answer) => new PlainResponse(answer));
}

type Exchange<T> = (input: Request | string | URL, init?: RequestInit) => Promise<T>;

/** What a request to the server got back: its status, headers and whole body (none for 204, 304, HEAD). */
interface Answer {
  status: number;
  headers: Headers;
  body: Buffer | null;
}

/** The part of a Fetch `Response` the Hrana client reads, over a body already received whole. */
export class PlainResponse {
  readonly ok: boolean;
  readonly status: number;
  readonly headers: Headers;
  /** The Hrana client cancels a body it does not read (`resp.body?.cancel()`): there is no stream to cancel. */
  readonly body = null;
  readonly #body: Buffer;

  constructor(answer: Answer) {
    this.status = answer.status;
    this.ok = answer.status >= 200 && answer.status < 300;
    this.headers = answer.headers;
    this.#body = answer.body ?? Buffer.alloc(0);
  }

  async text(): Promise<string> {
    return this.#body.toString("utf8");
  }

  async json(): Promise<unknown> {
    return JSON.parse(this.#body.toString("utf8"));
  }

  async arrayBuffer(): Promise<ArrayBuffer> {
    const { buffer, byteOffset, byteLength } = this.#body;
    return buffer.slice(byteOffset, byteOffset + byteLength) as ArrayBuffer;
  }
}

function exchange<T>(ms: number, answered: (answer: Answer) => T): Exchange<T> {
  return async (input, init) => {
    const request = input instanceof Request ? input : new Request(input, init);
    const body =
      request.method === "GET" || request.method === "HEAD" ? undefined : await request.arrayBuffer();
    const headers: Record<string, string> = {};
    for (const [name, value] of request.headers) headers[name] = value;
    headers["accept-encoding"] = "identity";
    if (body) headers["content-length"] = String(body.byteLength);
    const url = new URL(request.url);
    const payload = body ? Buffer.from(body) : undefined;
    try {
      return answered(await send(url, request.method, headers, payload, ms));
    } catch (error) {
      if (!(error instanceof StaleConnection)) throw error;
      return answered(await send(url, request.method, headers, payload, ms));
    }
  };
}

const agents = {
  "http:": new http.Agent({ keepAlive: true }),
  "https:": new https.Agent({ keepAlive: true }),
};

/** A kept-alive connection found closed by the server before it read the request. */
class StaleConnection extends Error {}

function send(
  url: URL,
  method: string,
  headers: Record<string, string>,
  body: Buffer | undefined,
  ms: number,
): Promise<Answer> {
  const secure = url.protocol === "https:";
  return new Promise((resolve, reject) => {
    const request = (secure ? https : http).request(
      url,
      { method, headers, agent: agents[secure ? "https:" : "http:"] },
      (response) => {
        const chunks: Buffer[] = [];
        response.on("data", (chunk: Buffer) => chunks.push(chunk));
        response.on("end", () => {
          clearTimeout(timer);
          const responseHeaders = new Headers();
          for (const [name, value] of Object.entries(response.headers))
            if (value !== undefined)
              responseHeaders.set(name, Array.isArray(value) ? value.join(", ") : value);
          const status = response.statusCode ?? 500;
          const noBody = status === 204 || status === 304 || method === "HEAD";
          resolve({ status, headers: responseHeaders, body: noBody ? null : Buffer.concat(chunks) });
        });
        response.on("error", fail);
      },
    );
    const timer = setTimeout(() => request.destroy(new DatabaseTimeoutError(ms)), ms);
    function fail(error: Error) {
      clearTimeout(timer);
      if (error instanceof DatabaseTimeoutError) reject(error);
      else if (request.reusedSocket && (error as NodeJS.ErrnoException).code === "ECONNRESET")
        reject(new StaleConnection());
      else reject(new TypeError("fetch failed", { cause: error }));
    }
    request.on("error", fail);
    request.end(body);
  });
}
