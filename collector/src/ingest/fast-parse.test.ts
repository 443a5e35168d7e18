import { BuildEventInput, DeploymentEventInput, fastEventInput, STATUS_ALIASES } from "@versioner/schema";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { z } from "zod";

// The fast path that reads batch events (packages/schema/src/fast-parse.ts) against zod, its
// authority: for every input it accepts, its output is zod's, key for key and in zod's key order;
// what it does not accept is parsed by zod. Random inputs aim at every edge its rules decide:
// padding, lengths at the limits, control characters, lone surrogates, null and empty strings,
// other types, status aliases and Object.prototype's member names.

const padded = (text: fc.Arbitrary<string>) =>
  fc
    .tuple(fc.constantFrom("", " ", "\t", "\n ", "\u00a0", "\ufeff"), text, fc.constantFrom("", " ", "\r\n"))
    .map(([before, middle, after]) => before + middle + after);

/** Strings around a field's length limit, with padding that trimming removes. */
const nearLimit = fc
  .tuple(
    fc.constantFrom(0, 1, 63, 64, 65, 254, 255, 256, 511, 512, 513, 1023, 1024, 2048, 2049),
    fc.boolean(),
  )
  .map(([length, pad]) => (pad ? "  " : "") + "v".repeat(length) + (pad ? " " : ""));

const text = fc.oneof(
  fc.string(),
  fc.string({ unit: "binary", maxLength: 12 }),
  fc.constantFrom("", " ", "1.0", "main", "a\u0000b", "x\u0085y", "\ud800", "ok\udfff", "😀", "line\nbreak"),
  nearLimit,
);

const anyValue = fc.oneof(
  padded(text),
  fc.constant(null),
  fc.integer(),
  fc.double(),
  fc.boolean(),
  fc.constant([]),
  fc.constant({}),
  fc.dictionary(fc.string({ maxLength: 4 }), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 3 }),
);

const statusValue = fc.oneof(
  fc.constantFrom(...Object.keys(STATUS_ALIASES)).map((alias) => alias),
  fc.constantFrom("SUCCESS", " Completed ", "constructor", "__proto__", "toString", "done", ""),
  anyValue,
);

const timestamp = fc.oneof(
  fc.constantFrom("2026-01-02T03:04:05Z", "2026-01-02T03:04:05.123+02:00", "2026-01-02", "yesterday", ""),
  fc.date({ noInvalidDate: true }).map((date) => date.toISOString()),
  anyValue,
);

const cleanName = fc.stringMatching(/^[a-z0-9][a-z0-9.\-_ ]{0,30}[a-z0-9]$/);

/** A value the field's schema takes, as CI sends it (padding included). */
function validValue(key: string): fc.Arbitrary<unknown> {
  if (key === "status") return fc.constantFrom(...Object.keys(STATUS_ALIASES), " Success ", "FAILED");
  if (key.endsWith("_at"))
    return fc.constantFrom("2026-01-02T03:04:05Z", "2026-01-02T03:04:05.123+02:00", null);
  if (key === "build_number") return fc.oneof(fc.nat(), cleanName);
  if (key === "extra_metadata")
    return fc.oneof(fc.constant(null), fc.dictionary(cleanName, fc.jsonValue({ maxDepth: 2 })));
  if (key === "skip_preflight_checks") return fc.boolean();
  return fc.oneof(padded(cleanName), fc.constantFrom(null, "", " "));
}

/** A value at or past an edge the fast path decides. */
function edgeValue(key: string): fc.Arbitrary<unknown> {
  if (key === "status") return statusValue;
  if (key.endsWith("_at")) return timestamp;
  return fc.oneof(padded(text), anyValue);
}

/**
 * Events of the schema's fields, mostly valid with a few fields at an edge, some keys missing
 * (the required ones now and then), an unknown key now and then.
 */
function eventOf(schema: z.ZodObject): fc.Arbitrary<Record<string, unknown>> {
  const keys = Object.keys(schema.shape);
  const fields = Object.fromEntries(
    keys.map((key) => [
      key,
      fc.oneof({ weight: 12, arbitrary: validValue(key) }, { weight: 1, arbitrary: edgeValue(key) }),
    ]),
  );
  const required = keys.filter((key) => !schema.shape[key]?.safeParse(undefined).success);
  return fc
    .tuple(
      fc.oneof(
        { weight: 5, arbitrary: fc.record(fields, { requiredKeys: required }) },
        { weight: 1, arbitrary: fc.record(fields, { requiredKeys: [] }) },
      ),
      fc.option(fc.dictionary(fc.constantFrom("extra", "note", "constructor"), anyValue), { nil: undefined }),
    )
    .map(([event, extra]) => ({ ...extra, ...event }));
}

/** Events that are valid, as CI sends them: every rule-read field present and clean. */
function validEventOf(schema: z.ZodObject): fc.Arbitrary<Record<string, unknown>> {
  const fields: Record<string, fc.Arbitrary<unknown>> = {
    product_name: cleanName,
    version: cleanName,
    environment_name: cleanName,
    status: fc.constantFrom(...Object.keys(STATUS_ALIASES)),
    scm_sha: fc.stringMatching(/^[0-9a-f]{40}$/),
    scm_branch: fc.oneof(cleanName, fc.constant(null), fc.constant("")),
    invoke_id: cleanName,
    deploy_url: cleanName.map((path) => `https://ci.example/${path}`),
    deployed_by: cleanName,
    built_by: cleanName,
    completed_at: fc.constant("2026-01-02T03:04:05Z"),
  };
  const required = ["product_name", "version", "status", "environment_name"].filter(
    (key) => key in schema.shape,
  );
  return fc.record(fields, { requiredKeys: required });
}

const kinds = [
  { kind: "deployment", schema: DeploymentEventInput, fast: fastEventInput.deployment },
  { kind: "build", schema: BuildEventInput, fast: fastEventInput.build },
] as const;

describe.each(kinds)("the fast path for $kind events", ({ schema, fast }) => {
  it("gives zod's output, keys in zod's order, for every input it accepts", () => {
    let accepted = 0;
    fc.assert(
      fc.property(eventOf(schema), (event) => {
        const read = fast(event);
        if (read === undefined) return;
        accepted++;
        const parsed = schema.safeParse(event);
        expect(parsed.success, JSON.stringify(event)).toBe(true);
        expect(read).toStrictEqual(parsed.data);
        expect(Object.keys(read)).toEqual(Object.keys(parsed.data ?? {}));
      }),
      { numRuns: 3000 },
    );
    // Random fields are mostly wrong somewhere; enough of them are not for the comparison to bite.
    expect(accepted).toBeGreaterThan(30);
  });

  it("accepts valid events as CI sends them, with zod's output", () => {
    fc.assert(
      fc.property(validEventOf(schema), (event) => {
        const read = fast(event);
        expect(read, JSON.stringify(event)).toBeDefined();
        expect(read).toStrictEqual(schema.parse(event));
      }),
      { numRuns: 500 },
    );
  });

  it("leaves every input zod refuses to zod", () => {
    fc.assert(
      fc.property(eventOf(schema), (event) => {
        if (!schema.safeParse(event).success) expect(fast(event)).toBeUndefined();
      }),
      { numRuns: 3000 },
    );
  });

  it("reads no array, null or scalar as an event", () => {
    for (const input of [null, [], "event", 1, true, undefined]) expect(fast(input)).toBeUndefined();
  });
});
