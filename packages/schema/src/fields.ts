import { z } from "zod";
import { MAX_METADATA_BYTES, normalizeStatus, STATUS_ALIASES, STATUSES } from "./vocabulary.ts";

/** A required, trimmed, non-empty name (product, version, environment). */
export const Name = z.string().trim().min(1, "must not be empty").max(255);

/** An optional free-text field: `null` and empty strings mean "not given". */
export const OptionalText = (max = 1024) =>
  z
    .string()
    .trim()
    .max(max)
    .nullish()
    .transform((value) => (value ? value : undefined));

/** An RFC 3339 time with an offset, normalised to UTC (`2026-01-02T03:04:05.000Z`). */
export const Timestamp = z.iso
  .datetime({ offset: true, message: "must be an RFC 3339 date-time, e.g. 2026-01-02T03:04:05Z" })
  .transform((value) => new Date(value).toISOString());

export const OptionalTimestamp = Timestamp.nullish().transform((value) => value ?? undefined);

/** A JSON object of at most 100 KB; null means "not given". */
export const Metadata = z
  .record(z.string(), z.unknown())
  .nullish()
  .transform((value) => value ?? undefined)
  .refine((value) => value === undefined || Buffer.byteLength(JSON.stringify(value)) <= MAX_METADATA_BYTES, {
    message: `must be at most ${MAX_METADATA_BYTES / 1024} KB when serialized`,
  });

/** A build number: CI systems send it as a string or a number. */
export const BuildNumber = z
  .union([z.string(), z.number()])
  .nullish()
  .transform((value) =>
    value === null || value === undefined || value === "" ? undefined : String(value).trim(),
  )
  .refine((value) => value === undefined || value.length <= 255, {
    message: "must be at most 255 characters",
  });

/** A status field that accepts every alias and yields the canonical value. */
export const StatusInput = z.string().transform((value, ctx) => {
  const status = normalizeStatus(value);
  if (status === null) {
    ctx.addIssue({
      code: "custom",
      message: `Unknown status '${value}'. Use one of ${STATUSES.join(", ")} or an alias (${Object.keys(STATUS_ALIASES).join(", ")})`,
    });
    return z.NEVER;
  }
  return status;
});
