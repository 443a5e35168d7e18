import { ERROR_CODES, type ErrorCode, type ValidationIssue } from "@versioner/schema";

/** A failure the API reports to the client: status, code and detail map straight to the error body. */
export class DomainError extends Error {
  constructor(
    readonly status: 400 | 401 | 403 | 404 | 409 | 413 | 422 | 423 | 428 | 429 | 503,
    readonly code: ErrorCode | string,
    readonly detail: unknown,
    /** Extra response headers, e.g. Retry-After. */
    readonly headers: Record<string, string> = {},
  ) {
    super(typeof detail === "string" ? detail : code);
  }
}

export class NotFoundError extends DomainError {
  constructor(what: string) {
    super(404, ERROR_CODES.NOT_FOUND, `${what} not found`);
  }
}

export class ConflictError extends DomainError {
  constructor(code: ErrorCode, detail: unknown) {
    super(409, code, detail);
  }
}

export class UnauthorizedError extends DomainError {
  constructor(detail = "Invalid authentication credentials") {
    super(401, ERROR_CODES.UNAUTHORIZED, detail);
  }
}

export class ForbiddenError extends DomainError {
  constructor(detail: string) {
    super(403, ERROR_CODES.FORBIDDEN, detail);
  }
}

/** A 422 with the spec's `[{loc, msg, type}]` detail. */
export class ValidationError extends DomainError {
  constructor(issues: ValidationIssue[]) {
    super(422, ERROR_CODES.VALIDATION_ERROR, issues);
  }

  static field(loc: Array<string | number>, msg: string, type = "value_error"): ValidationError {
    return new ValidationError([{ loc, msg, type }]);
  }
}
