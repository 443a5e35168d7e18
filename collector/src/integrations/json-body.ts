import { ERROR_CODES } from "@versioner/schema";
import type { z } from "zod";
import { DomainError } from "../errors.ts";
import { parseOrThrow } from "../validation.ts";

/** Parses a delivery's raw body as JSON, then as the platform's payload shape (422 naming the field). */
export function readJson<T extends z.ZodType>(schema: T, body: string): z.output<T> {
  let value: unknown;
  try {
    value = JSON.parse(body);
  } catch {
    throw new DomainError(400, ERROR_CODES.INVALID_JSON, "Invalid JSON in request body");
  }
  return parseOrThrow(schema, value, ["body"]);
}

/** A text a template or a platform left empty (Go templates print `<no value>` for a missing key). */
export function present(value: string | null | undefined): string | undefined {
  const trimmed = value?.trim();
  return trimmed && trimmed !== "<no value>" ? trimmed : undefined;
}
