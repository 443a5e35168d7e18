import type { IncomingHttpHeaders } from "node:http";

// Why not the global fetch: on first use Node compiles its bundled undici (~20–50 ms, the largest
// single cost of this step), and under Node 20 the process then lingers ~80 ms after the response.
// node:http answers the client's needs (status, headers.get, text) in a few milliseconds.

/** The part of `Response` that `@versioner/client` reads. */
interface MinimalResponse {
  readonly ok: boolean;
  readonly status: number;
  readonly headers: { get(name: string): string | null };
  text(): Promise<string>;
}

function headerGetter(headers: IncomingHttpHeaders): MinimalResponse["headers"] {
  return {
    get: (name) => {
      const value = headers[name.toLowerCase()];
      if (value === undefined) return null;
      return Array.isArray(value) ? value.join(", ") : value;
    },
  };
}

/** Like fetch's "fetch failed": the socket error (ECONNREFUSED, ECONNRESET, …) travels as `cause`. */
function networkError(cause: unknown): Error {
  const error = cause as Error;
  if (error?.name === "AbortError" || error?.name === "TimeoutError") return error;
  return new TypeError("fetch failed", { cause });
}

async function httpRequest(input: string | URL | Request, init?: RequestInit): Promise<MinimalResponse> {
  const url = new URL(typeof input === "string" || input instanceof URL ? input : input.url);
  // Loaded on demand (tls only when the collector is behind TLS). getBuiltinModule, not import():
  // an ESM namespace of node:http evaluates its lazy exports, which on Node 24 compiles undici.
  const { request } =
    url.protocol === "https:"
      ? process.getBuiltinModule("node:https")
      : process.getBuiltinModule("node:http");
  const body = typeof init?.body === "string" ? init.body : undefined;
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method: init?.method ?? "GET",
        // VersionerClient always passes a plain record, never a Headers object or pairs.
        headers: init?.headers as Record<string, string> | undefined,
        signal: init?.signal ?? undefined,
        // One request per process: no pooled socket to keep the step alive after the answer.
        agent: false,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (chunk: Buffer) => chunks.push(chunk));
        res.on("error", (error) => reject(networkError(error)));
        res.on("close", () => {
          if (!res.complete) reject(networkError(new Error("connection closed before the response ended")));
        });
        res.on("end", () => {
          const text = Buffer.concat(chunks).toString("utf8");
          const status = res.statusCode ?? 0;
          resolve({
            ok: status >= 200 && status < 300,
            status,
            headers: headerGetter(res.headers),
            text: async () => text,
          });
        });
      },
    );
    req.on("error", (error) => reject(networkError(error)));
    req.end(body);
  });
}

/**
 * A `fetch` for `VersionerClient` over node:http/node:https. Only string bodies and plain-record
 * headers are supported, which is all the client sends.
 */
// The client reads only status, headers.get and text() (see MinimalResponse); building a real
// Response would load undici, the very cost this module avoids.
export const httpFetch = httpRequest as unknown as typeof fetch;
