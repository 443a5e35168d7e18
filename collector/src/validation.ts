import type { ValidationIssue } from "@versioner/schema";
import type { z } from "zod";
import { type DomainError, ValidationError } from "./errors.ts";

/** Maps zod issues to the spec's `{loc, msg, type}` items, with `loc` prefixed by where the value came from. */
export function toIssues(error: z.ZodError, prefix: Array<string | number>): ValidationIssue[] {
  return error.issues.map((issue) => {
    const missing = issue.code === "invalid_type" && /received undefined/.test(issue.message);
    return {
      loc: [...prefix, ...issue.path.map((part) => (typeof part === "symbol" ? String(part) : part))],
      msg: missing ? "Field required" : issue.message,
      type: missing ? "missing" : issue.code,
    };
  });
}

/** Parses `value` or throws a 422 ValidationError naming every field at fault. */
export function parseOrThrow<T extends z.ZodType>(
  schema: T,
  value: unknown,
  prefix: Array<string | number>,
): z.output<T> {
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw new ValidationError(toIssues(parsed.error, prefix));
  return parsed.data;
}

/** The body of an error without the request id (the HTTP layer adds it). */
export function toErrorBody(error: DomainError): { detail: unknown; code: string } {
  return { detail: error.detail, code: error.code };
}
