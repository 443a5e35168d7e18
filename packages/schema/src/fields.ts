import { z } from "zod";
import { fastField } from "./fast-parse.ts";
import { jsonProblem, MAX_JSON_DEPTH, type TextKind, textProblem } from "./input-rules.ts";
import { MAX_METADATA_BYTES, normalizeStatus, STATUS_ALIASES, STATUSES } from "./vocabulary.ts";

/** Adds the issue of `textProblem` (control characters, lone surrogates) to a string check. */
function refuseBadText(kind: TextKind) {
  return (value: string, ctx: z.RefinementCtx) => {
    const problem = textProblem(value, kind);
    if (problem) ctx.addIssue({ code: "custom", message: problem });
  };
}

/** The longest name (product, version, environment…), in UTF-16 code units after trimming. */
const NAME_MAX = 255;

/**
 * A required, trimmed, non-empty name (product, version, environment, release…): no control
 * characters (tabs and line breaks included) and no lone surrogates, so what is stored reads back
 * the same and is one identity.
 */
export const Name = fastField(
  z.string().trim().min(1, "must not be empty").max(NAME_MAX).superRefine(refuseBadText("single-line")),
  { kind: "name", max: NAME_MAX },
);

/** An optional one-line text field (SHA, branch, URL, e-mail…): `null` and empty strings mean "not given". */
export const OptionalText = (max = 1024) =>
  fastField(
    z
      .string()
      .trim()
      .max(max)
      .superRefine(refuseBadText("single-line"))
      .nullish()
      .transform((value) => (value ? value : undefined)),
    { kind: "optional-text", max },
  );

/** A trimmed one-line text (URL templates, display names…): no control characters, no lone surrogates. */
export const SingleLineText = (max = 1024) =>
  z.string().trim().max(max).superRefine(refuseBadText("single-line"));

/** A free text that may span lines (descriptions): tabs and line breaks allowed, other control characters not. */
export const FreeText = (max = 4096) => z.string().max(max).superRefine(refuseBadText("multi-line"));

/** An RFC 3339 time with an offset, normalised to UTC (`2026-01-02T03:04:05.000Z`). */
export const Timestamp = z.iso
  .datetime({ offset: true, message: "must be an RFC 3339 date-time, e.g. 2026-01-02T03:04:05Z" })
  .transform((value) => new Date(value).toISOString());

export const OptionalTimestamp = Timestamp.nullish().transform((value) => value ?? undefined);

/**
 * A JSON object of at most 100 KB and 32 levels of nesting, without lone surrogates; null means
 * "not given". The shape is checked first, without recursion: serializing a deeper object to
 * measure it would overflow the stack.
 */
export const Metadata = z
  .record(z.string(), z.unknown())
  .nullish()
  .transform((value) => value ?? undefined)
  .superRefine((value, ctx) => {
    if (value === undefined) return;
    const problem = jsonProblem(value, MAX_JSON_DEPTH);
    if (problem) {
      // Too deep is said of the field itself: the path down to level 33 would say nothing more.
      const path = problem.kind === "depth" ? [] : problem.path;
      ctx.addIssue({ code: "custom", message: problem.message, path });
    } else if (Buffer.byteLength(JSON.stringify(value)) > MAX_METADATA_BYTES) {
      ctx.addIssue({
        code: "custom",
        message: `must be at most ${MAX_METADATA_BYTES / 1024} KB when serialized`,
      });
    }
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
  })
  .superRefine((value, ctx) => {
    const problem = value === undefined ? undefined : textProblem(value);
    if (problem) ctx.addIssue({ code: "custom", message: problem });
  });

/** A status field that accepts every alias and yields the canonical value. */
export const StatusInput = fastField(
  z.string().transform((value, ctx) => {
    const status = normalizeStatus(value);
    if (status === null) {
      ctx.addIssue({
        code: "custom",
        message: `Unknown status '${value}'. Use one of ${STATUSES.join(", ")} or an alias (${Object.keys(STATUS_ALIASES).join(", ")})`,
      });
      return z.NEVER;
    }
    return status;
  }),
  { kind: "status" },
);
