import { fileURLToPath } from "node:url";
import { build } from "esbuild";
import { describe, expect, it } from "vitest";
import { BuildEventInput, DeploymentEventInput } from "./events.ts";
import { EVENT_TEXT_FIELDS, EVENT_TIMESTAMP_FIELDS } from "./vocabulary.ts";

describe("@versioner/schema/vocabulary", () => {
  it("loads no module outside this package (no zod): the action's start-up depends on it", async () => {
    const result = await build({
      absWorkingDir: fileURLToPath(new URL("..", import.meta.url)),
      entryPoints: ["src/vocabulary.ts"],
      bundle: true,
      platform: "node",
      write: false,
      metafile: true,
      logLevel: "silent",
    });
    const outside = Object.keys(result.metafile.inputs).filter((path) => !path.startsWith("src/"));
    expect(outside).toEqual([]);
  });

  it.each([
    ["build", BuildEventInput],
    ["deployment", DeploymentEventInput],
  ] as const)(
    "EVENT_TEXT_FIELDS.%s lists every field of the event schema but extra_metadata and skip_preflight_checks",
    (kind, schema) => {
      // The one flag of the schema is a request, not a fact CI integrations resolve from the run.
      const nonText =
        kind === "deployment" ? ["extra_metadata", "skip_preflight_checks"] : ["extra_metadata"];
      expect([...EVENT_TEXT_FIELDS[kind], ...nonText].sort()).toEqual(Object.keys(schema.shape).sort());
    },
  );

  it("EVENT_TIMESTAMP_FIELDS are exactly the fields validated as RFC 3339 date-times", () => {
    const base = { product_name: "p", version: "1", status: "completed", environment_name: "e" };
    // "completed" is a valid value for every other field (text, status), but not a date-time.
    const rejectsBadTime = (field: string) =>
      [BuildEventInput, DeploymentEventInput].some(
        (schema) => field in schema.shape && !schema.safeParse({ ...base, [field]: "completed" }).success,
      );
    const fields = [...new Set([...EVENT_TEXT_FIELDS.build, ...EVENT_TEXT_FIELDS.deployment])];
    expect(fields.filter(rejectsBadTime).sort()).toEqual([...EVENT_TIMESTAMP_FIELDS].sort());
  });
});
