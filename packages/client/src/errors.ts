import type { ValidationIssue } from "@versioner/schema";

/** What kind of failure a `VersionerError` is; stable for `switch` in callers. */
export type VersionerErrorKind = "unreachable" | "validation" | "auth" | "preflight_blocked" | "api";

/** Base of every error the client throws. Messages never contain the API key. */
export class VersionerError extends Error {
  readonly kind: VersionerErrorKind;
  /** HTTP status of the last response, when there was one. */
  readonly status: number | undefined;

  constructor(kind: VersionerErrorKind, message: string, status?: number, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
    this.kind = kind;
    this.status = status;
  }
}

/** The collector could not be reached or kept failing (network error, timeout, 5xx) after every attempt. */
export class UnreachableError extends VersionerError {
  /** How many attempts were made. */
  readonly attempts: number;

  constructor(message: string, attempts: number, status?: number, options?: ErrorOptions) {
    super("unreachable", message, status, options);
    this.attempts = attempts;
  }
}

/** The request was rejected as malformed or invalid (400/422). */
export class ValidationError extends VersionerError {
  readonly code: string | undefined;
  readonly issues: ValidationIssue[];

  constructor(message: string, status: number, code: string | undefined, issues: ValidationIssue[]) {
    super("validation", message, status);
    this.code = code;
    this.issues = issues;
  }
}

/** Missing, invalid or insufficient credentials (401/403). */
export class AuthError extends VersionerError {
  readonly code: string | undefined;

  constructor(message: string, status: number, code: string | undefined) {
    super("auth", message, status);
    this.code = code;
  }
}

/** A deployment rule blocked the event (409/423/428 with a `deployment_blocked` body). */
export class PreflightBlockedError extends VersionerError {
  /** The rule code, e.g. `NO_DEPLOY_WINDOW`. */
  readonly code: string;
  /** When to try again (ISO-8601), if the rule says. */
  readonly retryAfter: string | undefined;
  readonly details: Record<string, unknown>;

  constructor(
    status: number,
    block: { code: string; message: string; retryAfter?: string; details?: Record<string, unknown> },
  ) {
    // `message` is the rule's own reason, printed as is by callers next to `code`.
    super("preflight_blocked", block.message, status);
    this.code = block.code;
    this.retryAfter = block.retryAfter;
    this.details = block.details ?? {};
  }
}

/** Any other non-2xx answer (404, 409 `VERSION_SHA_CONFLICT`, 413, exhausted 429, …). */
export class ApiError extends VersionerError {
  readonly code: string | undefined;
  readonly detail: unknown;

  constructor(message: string, status: number, code: string | undefined, detail: unknown) {
    super("api", message, status);
    this.code = code;
    this.detail = detail;
  }
}
