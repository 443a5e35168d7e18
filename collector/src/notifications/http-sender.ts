import { request as httpRequest, type IncomingHttpHeaders } from "node:http";
import { request as httpsRequest } from "node:https";
import { checkOutboundUrl, guardedLookup, OutboundRefusedError } from "./outbound-guard.ts";

/** What became of one send, whatever the channel kind. */
export interface SendOutcome {
  ok: boolean;
  /** False for outcomes that will not change on a retry (4xx but 429, refused addresses). */
  retryable: boolean;
  response_code: number | null;
  error: string | null;
  /** Server-requested wait (429 Retry-After), in milliseconds. */
  retry_after_ms: number | null;
  /** The first bytes of the response body, for diagnosis; never more. */
  response_excerpt: string | null;
}

export interface HttpSendOptions {
  timeoutMs: number;
  allowPrivate: boolean;
}

const EXCERPT_BYTES = 512;

/**
 * POSTs a body and classifies the answer. Redirects are not followed (a 3xx is a final failure):
 * following one would send the payload, and maybe its signature, to a host nobody checked.
 */
export function postJson(
  target: string,
  body: string,
  headers: Record<string, string>,
  options: HttpSendOptions,
): Promise<SendOutcome> {
  let url: URL;
  try {
    url = checkOutboundUrl(target, options.allowPrivate);
  } catch (error) {
    return Promise.resolve(failure(false, null, describeError(error)));
  }
  const send = url.protocol === "https:" ? httpsRequest : httpRequest;
  return new Promise((resolve) => {
    // Node refuses a header it cannot send (a stored value with a line break) by throwing here:
    // that is the channel's configuration, so the outcome is final, not a crash or a retry loop.
    let req: ReturnType<typeof send>;
    try {
      req = send(
        url,
        {
          method: "POST",
          headers: {
            "content-type": "application/json",
            "user-agent": "Versioner-Notifications/1",
            ...headers,
            "content-length": String(Buffer.byteLength(body)),
          },
          timeout: options.timeoutMs,
          ...(options.allowPrivate ? {} : { lookup: guardedLookup }),
        },
        (res) => {
          const chunks: Buffer[] = [];
          let size = 0;
          res.on("data", (chunk: Buffer) => {
            if (size < EXCERPT_BYTES) chunks.push(chunk);
            size += chunk.length;
          });
          res.on("end", () => {
            clearTimeout(overall);
            resolve(
              classify(res.statusCode ?? 0, res.headers, Buffer.concat(chunks).subarray(0, EXCERPT_BYTES)),
            );
          });
          res.on("error", (error) => {
            clearTimeout(overall);
            resolve(failure(true, res.statusCode ?? null, describeError(error)));
          });
        },
      );
    } catch (error) {
      resolve(failure(false, null, describeError(error)));
      return;
    }
    // `timeout` covers idle sockets; this bounds the whole exchange, a slow drip included.
    const overall = setTimeout(
      () => req.destroy(new Error(`timed out after ${options.timeoutMs} ms`)),
      options.timeoutMs,
    );
    req.on("timeout", () => req.destroy(new Error(`timed out after ${options.timeoutMs} ms`)));
    req.on("error", (error) => {
      clearTimeout(overall);
      resolve(failure(!(error instanceof OutboundRefusedError), null, describeError(error)));
    });
    req.end(body);
  });
}

function classify(status: number, headers: IncomingHttpHeaders, excerpt: Buffer): SendOutcome {
  const text = excerpt.length > 0 ? excerpt.toString("utf8") : null;
  if (status >= 200 && status < 300) {
    return {
      ok: true,
      retryable: false,
      response_code: status,
      error: null,
      retry_after_ms: null,
      response_excerpt: text,
    };
  }
  const retryable = status === 429 || status === 408 || status >= 500;
  const error =
    status >= 300 && status < 400
      ? `HTTP ${status}: redirects are not followed${headers.location ? ` (to ${hostOf(headers.location)})` : ""}`
      : `HTTP ${status}`;
  return {
    ok: false,
    retryable,
    response_code: status,
    error,
    retry_after_ms: status === 429 || status === 503 ? parseRetryAfter(headers["retry-after"]) : null,
    response_excerpt: text,
  };
}

/** `Retry-After` as seconds or an HTTP date, in milliseconds from now; null when absent or unreadable. */
export function parseRetryAfter(value: string | undefined, now = Date.now()): number | null {
  if (!value) return null;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  const at = Date.parse(trimmed);
  return Number.isNaN(at) ? null : Math.max(0, at - now);
}

function hostOf(location: string): string {
  try {
    return new URL(location).host;
  } catch {
    return "a relative location";
  }
}

export function failure(retryable: boolean, code: number | null, error: string): SendOutcome {
  return { ok: false, retryable, response_code: code, error, retry_after_ms: null, response_excerpt: null };
}

function describeError(error: unknown): string {
  if (error instanceof OutboundRefusedError) return `refused: ${error.message}`;
  if (error instanceof Error) {
    const code = (error as NodeJS.ErrnoException).code;
    return code && !error.message.includes(code) ? `${code}: ${error.message}` : error.message;
  }
  return String(error);
}
