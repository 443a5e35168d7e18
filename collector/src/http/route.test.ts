import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import { DeploymentEventInput, fastEventInput } from "@versioner/schema";
import { describe, expect, it, vi } from "vitest";
import { jsonBody } from "./route.ts";

const schemaOf = (body: ReturnType<typeof jsonBody>) => body.body.content["application/json"].schema;

describe("a JSON body with a fast path", () => {
  const Body = z.object({ name: z.string().trim().min(1) });

  it("answers what the fast path accepts without the schema, and the rest by the schema", async () => {
    const fast = vi.fn((value: unknown) =>
      (value as { name?: unknown }).name === "quick" ? { name: "quick" } : undefined,
    );
    const schema = schemaOf(jsonBody(Body, fast));
    expect(await schema.safeParseAsync({ name: "quick" })).toEqual({
      success: true,
      data: { name: "quick" },
    });
    expect(await schema.safeParseAsync({ name: "  slow " })).toEqual({
      success: true,
      data: { name: "slow" },
    });
    const refused = await schema.safeParseAsync({ name: 7 });
    expect(refused.success).toBe(false);
    expect(refused.error?.issues[0]?.path).toEqual(["name"]);
    expect(fast).toHaveBeenCalledTimes(3);
    // The schema itself is left as it was: other routes that take it parse with zod alone.
    expect(Body.safeParseAsync).not.toBe(schema.safeParseAsync);
  });

  it("documents the same body as its schema", () => {
    const documentOf = (body: ReturnType<typeof jsonBody>) => {
      const app = new OpenAPIHono();
      app.openapi(
        createRoute({ method: "post", path: "/e", request: body, responses: { 204: { description: "ok" } } }),
        (c) => c.body(null, 204),
      );
      return app.getOpenAPI31Document({ openapi: "3.1.0", info: { title: "t", version: "1" } });
    };
    const plain = documentOf(jsonBody(DeploymentEventInput));
    expect(JSON.stringify(plain)).toContain("product_name");
    expect(documentOf(jsonBody(DeploymentEventInput, fastEventInput.deployment))).toEqual(plain);
  });
});
