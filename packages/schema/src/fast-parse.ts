import type { z } from "zod";
import { textProblem } from "./input-rules.ts";
import { normalizeStatus } from "./status.ts";

/**
 * How the fast path reads a field defined in fields.ts (`fastField`): the rule the field's zod
 * schema applies, for values it accepts. A field without one is parsed by its own zod schema.
 */
export type FastRule =
  | { kind: "name"; max: number }
  | { kind: "optional-text"; max: number }
  | { kind: "status" };

const RULES = new WeakMap<z.ZodType, FastRule>();

/** Registers the fast path's reading of `schema` (fields.ts, next to the schema's definition). */
export function fastField<T extends z.ZodType>(schema: T, rule: FastRule): T {
  RULES.set(schema, rule);
  return schema;
}

/**
 * How one field of the object is read: by its rule when it has one, else by its zod schema.
 * `absentOk`: its schema takes a missing key as undefined, so zod leaves the key out.
 */
interface Step {
  key: string;
  schema: z.ZodType;
  rule: FastRule | undefined;
  absentOk: boolean;
}

/** A value the fast path does not decide: the caller parses with zod, which says what is wrong. */
const UNDECIDED = Symbol("undecided");

/**
 * A parser for a `z.object` of the fields in fields.ts that gives exactly zod's output (the same
 * keys, in the same order, with the same values) for the values it accepts, and `undefined` for
 * anything else, which the caller then parses with zod: zod stays the authority, and writes every
 * error. Unknown keys are dropped, as `z.object` does. The reason is speed: in the collector,
 * where hundreds of schemas share zod's code, its inline caches go megamorphic, and the bench's
 * deployment event took 16–19 µs to parse (5 µs in a process with that one schema), the largest
 * single cost of planning a batch; this reads it in about 3 µs. Differential property tests
 * (collector/src/ingest/fast-parse.test.ts) hold it to zod's output.
 */
export function fastObjectParser<T extends z.ZodObject>(
  schema: T,
): (input: unknown) => z.output<T> | undefined {
  const steps: Step[] = Object.entries(schema.shape as Record<string, z.ZodType>).map(([key, field]) => {
    const absent = field.safeParse(undefined);
    return {
      key,
      schema: field,
      rule: RULES.get(field),
      absentOk: absent.success && absent.data === undefined,
    };
  });
  return (input) => {
    if (typeof input !== "object" || input === null || Array.isArray(input)) return undefined;
    const source = input as Record<string, unknown>;
    const output: Record<string, unknown> = {};
    for (const { key, schema: field, rule, absentOk } of steps) {
      if (!(key in source)) {
        if (!absentOk) return undefined;
        continue;
      }
      const value = rule ? byRule(rule, source[key]) : bySchema(field, source[key]);
      if (value === UNDECIDED) return undefined;
      output[key] = value;
    }
    return output as z.output<T>;
  };
}

function byRule(rule: FastRule, value: unknown): unknown {
  switch (rule.kind) {
    case "status": {
      if (typeof value !== "string") return UNDECIDED;
      return normalizeStatus(value) ?? UNDECIDED;
    }
    case "name": {
      if (typeof value !== "string") return UNDECIDED;
      const text = value.trim();
      if (text.length < 1 || text.length > rule.max || textProblem(text, "single-line")) return UNDECIDED;
      return text;
    }
    case "optional-text": {
      if (value === null || value === undefined) return undefined;
      if (typeof value !== "string") return UNDECIDED;
      const text = value.trim();
      if (text.length > rule.max || textProblem(text, "single-line")) return UNDECIDED;
      return text === "" ? undefined : text;
    }
  }
}

function bySchema(schema: z.ZodType, value: unknown): unknown {
  const parsed = schema.safeParse(value);
  return parsed.success ? parsed.data : UNDECIDED;
}
