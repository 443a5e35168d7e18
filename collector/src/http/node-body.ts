import { IncomingMessage } from "node:http";
import { text } from "node:stream/consumers";
import type { Context, MiddlewareHandler } from "hono";
import { bodyLimit } from "hono/body-limit";

/**
 * The body size limit, and for the ingest routes the body itself, without a web `Request`.
 *
 * @hono/node-server hands the app a light request and builds the undici `Request` behind it (its
 * `AbortController`, `Headers`, and the body as a web stream over the Node one) only when something
 * asks for it. Hono's `bodyLimit` asks at once (`c.req.raw.body`), so every request paid for one,
 * a `GET /health` included, and the ingest routes then read their JSON through the web stream: a
 * ninth of the main thread's CPU per single-event request in a profile. Served by Node, a body
 * with a `Content-Length` is held to the limit by that header (Node's parser reads exactly that many
 * bytes, as `bodyLimit` also trusts), and a request without `Content-Length` or
 * `Transfer-Encoding` has no body; anything else (a chunked body), and every request that does not
 * come from Node (`app.request` in tests), goes through `bodyLimit` as before.
 *
 * `readAhead`: the requests whose body is read from the Node stream into Hono's body cache
 * (`c.req.bodyCache.text`, begun when first asked for), where `c.req.json()` and the route's
 * validator find it. Only for
 * routes that read their body through `c.req` alone: a route handing `c.req.raw` on (a webhook's
 * signature check, the MCP transport) would find its stream already read.
 */
export function limitBody(
  maxSize: number,
  onTooLarge: () => never,
  readAhead: (c: Context) => boolean,
): MiddlewareHandler {
  const fallback = bodyLimit({ maxSize, onError: onTooLarge });
  return async (c, next) => {
    const incoming = nodeRequest(c);
    if (!incoming) return fallback(c, next);
    if (incoming.headers["transfer-encoding"] !== undefined) return fallback(c, next);
    const length = incoming.headers["content-length"];
    if (length === undefined) return next();
    if (Number.parseInt(length, 10) > maxSize) onTooLarge();
    // Hono keeps each body read there as its promise (its type says otherwise). Read when first
    // asked for, as the web request's body would be: a request refused before its route (no
    // credential, the rate limits, the cap on large requests) is never buffered.
    if (readAhead(c)) (c.req.bodyCache as { text?: PromiseLike<string> }).text = lazyText(incoming);
    return next();
  };
}

/** The Node request behind `c` when @hono/node-server serves it. */
function nodeRequest(c: Context): IncomingMessage | undefined {
  const incoming = (c.env as { incoming?: unknown } | undefined)?.incoming;
  return incoming instanceof IncomingMessage ? incoming : undefined;
}

/**
 * The whole body as text, begun when something first waits for it: decoded as `Request.text()`
 * decodes it (UTF-8, a leading byte order mark dropped, invalid bytes replaced), and refused when
 * the client goes away before the end.
 */
function lazyText(incoming: IncomingMessage): PromiseLike<string> {
  let body: Promise<string> | undefined;
  return {
    // biome-ignore lint/suspicious/noThenProperty: a thenable on purpose, for Hono's body cache.
    then: (onFulfilled, onRejected) => {
      body ??= text(incoming);
      return body.then(onFulfilled, onRejected);
    },
  };
}
