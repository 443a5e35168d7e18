import { randomUUID } from "node:crypto";
import type {
  BuildEventInput,
  BuildEventResponse,
  Deployment,
  DeploymentEventInput,
  DeploymentEventResponse,
  DoraMetrics,
  EnvironmentDiff,
  Product,
  StateResponse,
  ValidationIssue,
} from "@versioner/schema";
import { PREFLIGHT_STATUSES } from "@versioner/schema/vocabulary";
import packageJson from "../package.json" with { type: "json" };
import {
  ApiError,
  AuthError,
  PreflightBlockedError,
  UnreachableError,
  ValidationError,
  type VersionerError,
} from "./errors.ts";
import type { PreflightRequest, PreflightResult } from "./preflight.ts";
import { backoffDelay, parseRetryAfter } from "./retry-delay.ts";

/** Version of this client, sent in the `User-Agent`. */
export const CLIENT_VERSION: string = packageJson.version;

/** Passed to `onRetry` before each wait; holds no credentials. */
export interface RetryInfo {
  method: string;
  path: string;
  /** The attempt that just failed (1-based). */
  attempt: number;
  /** How long the client waits before the next attempt. */
  delayMs: number;
  /** Why: `HTTP 503`, `timeout after 30000 ms`, `network error: ECONNRESET`, … */
  reason: string;
  status?: number;
}

/** Options of `VersionerClient`. */
export interface VersionerClientOptions {
  /** Base URL of the collector, e.g. `https://versioner.example.com`. */
  apiUrl: string;
  /** API key or token, sent as `Authorization: Bearer …`; never included in errors or retry info. */
  apiKey?: string;
  /** Per-attempt timeout (default 30 000). */
  timeoutMs?: number;
  /** Attempts per request, the first included (default 4). */
  maxAttempts?: number;
  /** Budget for all attempts and waits of one request (default 120 000). */
  maxTotalMs?: number;
  /** First backoff ceiling; doubles each attempt (default 500). */
  retryBaseMs?: number;
  /** Longest single wait, including one asked for by `Retry-After` (default 30 000). */
  maxRetryDelayMs?: number;
  fetch?: typeof fetch;
  onRetry?: (info: RetryInfo) => void;
  userAgent?: string;
}

/** Options of the event-recording calls. */
export interface TrackOptions {
  /** Reused on every retry so the collector records the event once; a random UUID when omitted. */
  idempotencyKey?: string;
}

/** Filters of `GET /deployments`. */
export interface DeploymentQuery {
  product?: string;
  environment?: string;
  status?: string;
  since?: string;
  limit?: number;
  cursor?: string;
}

/** Filters of `GET /state`: a product or environment matches any of the names (or types) given. */
export interface StateFilters {
  product?: readonly string[];
  environment?: readonly string[];
  type?: readonly string[];
}

/** A page of a list endpoint. */
export interface Page<T> {
  items: T[];
  next_cursor: string | null;
}

/** `GET /health`: liveness and database reachability. */
export interface HealthResponse {
  status: string;
  [key: string]: unknown;
}

interface RequestOptions {
  body?: unknown;
  idempotencyKey?: string;
}

type Attempt =
  | { kind: "response"; status: number; headers: Headers; body: unknown }
  | { kind: "failure"; reason: string; cause: unknown };

/**
 * Typed client of the Versioner collector. Retries network errors, timeouts, 429 and 5xx with
 * exponential backoff and full jitter, bounded by `maxAttempts` and `maxTotalMs`; other 4xx are final.
 */
export class VersionerClient {
  readonly #apiUrl: string;
  // Private so the key never shows up when the client is logged or inspected.
  readonly #apiKey: string | undefined;
  readonly #timeoutMs: number;
  readonly #maxAttempts: number;
  readonly #maxTotalMs: number;
  readonly #retryBaseMs: number;
  readonly #maxRetryDelayMs: number;
  readonly #fetch: typeof fetch;
  readonly #onRetry: ((info: RetryInfo) => void) | undefined;
  readonly #userAgent: string;

  constructor(options: VersionerClientOptions) {
    if (!/^https?:\/\//i.test(options.apiUrl)) {
      throw new TypeError("apiUrl must start with http:// or https://");
    }
    // fetch refuses such URLs, and its error would echo the password into logs.
    if (/^https?:\/\/[^/?#]*@/i.test(options.apiUrl)) {
      throw new TypeError("apiUrl must not contain a user name or password; send the key as the API key");
    }
    this.#apiUrl = options.apiUrl.replace(/\/+$/, "");
    this.#apiKey = options.apiKey || undefined;
    this.#timeoutMs = options.timeoutMs ?? 30_000;
    this.#maxAttempts = Math.max(1, options.maxAttempts ?? 4);
    this.#maxTotalMs = options.maxTotalMs ?? 120_000;
    this.#retryBaseMs = options.retryBaseMs ?? 500;
    this.#maxRetryDelayMs = options.maxRetryDelayMs ?? 30_000;
    this.#fetch = options.fetch ?? globalThis.fetch;
    this.#onRetry = options.onRetry;
    this.#userAgent = options.userAgent ?? `versioner-client/${CLIENT_VERSION}`;
  }

  /** Records a build (`POST /build-events/`). */
  trackBuild(event: BuildEventInput, options: TrackOptions = {}): Promise<BuildEventResponse> {
    return this.#request("POST", "/build-events/", {
      body: event,
      idempotencyKey: options.idempotencyKey || randomUUID(),
    });
  }

  /** Records a deployment (`POST /deployment-events/`); a rule block throws `PreflightBlockedError`. */
  trackDeployment(event: DeploymentEventInput, options: TrackOptions = {}): Promise<DeploymentEventResponse> {
    return this.#request("POST", "/deployment-events/", {
      body: event,
      idempotencyKey: options.idempotencyKey || randomUUID(),
    });
  }

  /**
   * Dry-run of the deployment rules (`POST /preflight`): records nothing, so it needs no idempotency
   * key; a block is an answer (`allowed: false`), not an error.
   */
  preflight(request: PreflightRequest): Promise<PreflightResult> {
    return this.#request("POST", "/preflight", { body: request });
  }

  /** The product × environment matrix (`GET /state`), narrowed by any filters (each repeatable). */
  getState(filters: StateFilters = {}): Promise<StateResponse> {
    const params = new URLSearchParams();
    for (const [key, values] of Object.entries(filters)) {
      for (const value of values ?? []) params.append(key, value);
    }
    return this.#request("GET", params.size > 0 ? `/state?${params}` : "/state");
  }

  /** What differs between two environments (`GET /environments/{a}/diff/{b}`). */
  getEnvironmentDiff(
    a: string,
    b: string,
    filter: { product?: string; team?: string } = {},
  ): Promise<EnvironmentDiff> {
    const path = `/environments/${encodeURIComponent(a)}/diff/${encodeURIComponent(b)}`;
    return this.#request("GET", `${path}${searchOf(filter)}`);
  }

  /** DORA's four keys (`GET /metrics/dora`). */
  getDoraMetrics(query: {
    product?: string;
    team?: string;
    environment?: string;
    from?: string;
    to?: string;
    bucket?: string;
    /** IANA time zone of the bucket edges (default UTC). */
    tz?: string;
  }): Promise<DoraMetrics> {
    return this.#request("GET", `/metrics/dora${searchOf(query)}`);
  }

  /** One page of deployments, newest first (`GET /deployments`). */
  listDeployments(query: DeploymentQuery = {}): Promise<Page<Deployment>> {
    return this.#request("GET", `/deployments${searchOf(query)}`);
  }

  /** A product by id or name (`GET /products/{idOrName}`). */
  getProduct(idOrName: string): Promise<Product> {
    return this.#request("GET", `/products/${encodeURIComponent(idOrName)}`);
  }

  /** Liveness and database reachability (`GET /health`). */
  health(): Promise<HealthResponse> {
    return this.#request("GET", "/health");
  }

  /**
   * Any other call of the API (`GET /locks`, `POST /preflight`, …) with the same errors and redaction.
   * `path` includes its query string. A POST is not retried: without an idempotency key a second
   * attempt could record the same thing twice.
   */
  request<T>(method: "GET" | "POST", path: string, body?: unknown): Promise<T> {
    return this.#request(method, path, body === undefined ? {} : { body });
  }

  // The response body is trusted to match the declared type: the collector validates its own output,
  // and rejecting a recorded event over a response-shape drift would make CI report a false failure.
  async #request<T>(method: string, path: string, options: RequestOptions = {}): Promise<T> {
    const headers: Record<string, string> = { Accept: "application/json", "User-Agent": this.#userAgent };
    if (this.#apiKey) headers.Authorization = `Bearer ${this.#apiKey}`;
    if (options.body !== undefined) headers["Content-Type"] = "application/json";
    if (options.idempotencyKey) headers["Idempotency-Key"] = options.idempotencyKey;
    const payload = options.body === undefined ? undefined : JSON.stringify(options.body);
    const started = Date.now();

    for (let attempt = 1; ; attempt++) {
      const remaining = this.#maxTotalMs - (Date.now() - started);
      const result = await this.#attempt(
        method,
        path,
        headers,
        payload,
        Math.max(1, Math.min(this.#timeoutMs, remaining)),
      );
      if (result.kind === "response" && result.status >= 200 && result.status < 300) return result.body as T;

      const retryable = result.kind === "failure" || result.status === 429 || result.status >= 500;
      if (!retryable) throw this.#toError(result);

      const reason = result.kind === "failure" ? result.reason : `HTTP ${result.status}`;
      const status = result.kind === "response" ? result.status : undefined;
      const asked =
        result.kind === "response" ? parseRetryAfter(result.headers.get("retry-after")) : undefined;
      const delayMs =
        asked !== undefined
          ? Math.min(asked, this.#maxRetryDelayMs)
          : backoffDelay(attempt, this.#retryBaseMs, this.#maxRetryDelayMs, Math.random);
      const outOfTime = Date.now() - started + delayMs >= this.#maxTotalMs;
      const repeatable = method === "GET" || options.idempotencyKey !== undefined;
      if (attempt >= this.#maxAttempts || outOfTime || !repeatable) {
        if (result.kind === "response" && (result.status === 429 || !repeatable)) throw this.#toError(result);
        throw new UnreachableError(
          this.#redact(`${method} ${this.#apiUrl}${path} failed after ${attempt} attempt(s): ${reason}`),
          attempt,
          status,
          { cause: result.kind === "failure" ? result.cause : undefined },
        );
      }
      this.#onRetry?.({
        method,
        path,
        attempt,
        delayMs,
        reason: this.#redact(reason),
        ...(status ? { status } : {}),
      });
      await new Promise((resolve) => setTimeout(resolve, delayMs));
    }
  }

  async #attempt(
    method: string,
    path: string,
    headers: Record<string, string>,
    payload: string | undefined,
    timeoutMs: number,
  ): Promise<Attempt> {
    try {
      const response = await this.#fetch(`${this.#apiUrl}${path}`, {
        method,
        headers,
        body: payload,
        signal: AbortSignal.timeout(timeoutMs),
      });
      // Reading the body is part of the attempt: a connection dropped mid-body is a network failure.
      const text = await response.text();
      return { kind: "response", status: response.status, headers: response.headers, body: parseJson(text) };
    } catch (error) {
      return { kind: "failure", reason: describeFailure(error, timeoutMs), cause: error };
    }
  }

  #toError(result: Extract<Attempt, { kind: "response" }>): VersionerError {
    const { status, body } = result;
    const { detail, code } = errorParts(body);
    const describe = (text: string) => this.#redact(`HTTP ${status}${code ? ` ${code}` : ""}: ${text}`);

    if (PREFLIGHT_STATUSES.includes(status) && isPreflightBlock(detail)) {
      return new PreflightBlockedError(status, {
        code: detail.code,
        message: this.#redact(detail.message),
        ...(typeof detail.retry_after === "string" ? { retryAfter: detail.retry_after } : {}),
        ...(isRecord(detail.details) ? { details: detail.details } : {}),
      });
    }
    if (status === 400 || status === 422) {
      const issues = validationIssues(detail, code);
      const summary = issues.map((issue) => `${issue.loc.join(".") || "body"}: ${issue.msg}`).join("; ");
      return new ValidationError(describe(summary || "invalid request"), status, code, issues);
    }
    if (status === 401 || status === 403) {
      return new AuthError(
        describe(detailText(detail) || (status === 401 ? "unauthorized" : "forbidden")),
        status,
        code,
      );
    }
    return new ApiError(describe(detailText(detail) || "request failed"), status, code, detail);
  }

  #redact(text: string): string {
    return this.#apiKey ? text.split(this.#apiKey).join("***") : text;
  }
}

function parseJson(text: string): unknown {
  if (!text) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function errorParts(body: unknown): { detail: unknown; code: string | undefined } {
  if (!isRecord(body)) return { detail: body, code: undefined };
  return { detail: body.detail, code: typeof body.code === "string" ? body.code : undefined };
}

function isPreflightBlock(detail: unknown): detail is {
  error: "deployment_blocked";
  code: string;
  message: string;
  retry_after?: unknown;
  details?: unknown;
} {
  return (
    isRecord(detail) &&
    detail.error === "deployment_blocked" &&
    typeof detail.code === "string" &&
    typeof detail.message === "string"
  );
}

function validationIssues(detail: unknown, code: string | undefined): ValidationIssue[] {
  if (Array.isArray(detail)) {
    return detail.filter(isRecord).map((item) => ({
      loc: Array.isArray(item.loc)
        ? item.loc.filter((p) => typeof p === "string" || typeof p === "number")
        : [],
      msg: typeof item.msg === "string" ? item.msg : JSON.stringify(item),
      type: typeof item.type === "string" ? item.type : "invalid",
    }));
  }
  const text = detailText(detail);
  return text ? [{ loc: [], msg: text, type: code ?? "invalid" }] : [];
}

function detailText(detail: unknown): string {
  if (detail === undefined || detail === null) return "";
  if (typeof detail === "string") return detail;
  if (isRecord(detail) && typeof detail.message === "string") return detail.message;
  return JSON.stringify(detail);
}

/** What a socket error code means, in the words a person setting up CI would search for. */
const NETWORK_REASONS: Readonly<Record<string, string>> = {
  ECONNREFUSED: "connection refused, nothing listens at that address and port",
  ENOTFOUND: "DNS lookup failed, host not found",
  EAI_AGAIN: "DNS lookup failed, temporary failure in name resolution",
  ECONNRESET: "connection reset by the server",
  ETIMEDOUT: "connection timed out",
  UND_ERR_CONNECT_TIMEOUT: "connection timed out",
  EHOSTUNREACH: "host unreachable",
  ENETUNREACH: "network unreachable",
  UND_ERR_SOCKET: "connection closed by the server",
  CERT_HAS_EXPIRED: "TLS certificate expired",
  DEPTH_ZERO_SELF_SIGNED_CERT: "self-signed TLS certificate rejected",
  SELF_SIGNED_CERT_IN_CHAIN: "self-signed TLS certificate in chain rejected",
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: "TLS certificate could not be verified",
  ERR_TLS_CERT_ALTNAME_INVALID: "TLS certificate does not match the host name",
};

/** The socket error code under fetch's `TypeError: fetch failed` (a plain or an aggregate error). */
function socketErrorCode(error: unknown): string | undefined {
  const cause = error instanceof Error ? error.cause : undefined;
  if (!isRecord(cause)) return undefined;
  if (typeof cause.code === "string") return cause.code;
  // Connecting to a host with several addresses fails with an AggregateError of one error each.
  const first = Array.isArray(cause.errors) ? cause.errors[0] : undefined;
  return isRecord(first) && typeof first.code === "string" ? first.code : undefined;
}

function describeFailure(error: unknown, timeoutMs: number): string {
  if (error instanceof Error && (error.name === "TimeoutError" || error.name === "AbortError")) {
    return `timeout after ${timeoutMs} ms`;
  }
  const code = socketErrorCode(error);
  const reason = code ? NETWORK_REASONS[code] : undefined;
  if (reason) return `network error: ${reason} (${code})`;
  const message = error instanceof Error ? error.message : String(error);
  return `network error: ${code ?? message}`;
}

function searchOf(query: object): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (value !== undefined && value !== null && value !== "") params.set(key, String(value));
  }
  return params.size > 0 ? `?${params}` : "";
}
