import { expect } from "vitest";
import { type TestApp, unique } from "./test-app.ts";

/** A version built for a new product, and a new production environment to take it to. */
export interface GovernanceSubject {
  product: string;
  version: string;
  environment: string;
  versionId: string;
}

/** Registers a subject for approvals and deployment requests: a completed build and an environment. */
export async function registeredSubject(
  t: TestApp,
  prefix: string,
  version = "1.0.0",
): Promise<GovernanceSubject> {
  const product = unique(`${prefix}-app`);
  const environment = unique(`${prefix}-env`);
  const built = await t.call("POST", "/build-events", {
    product_name: product,
    version,
    status: "completed",
  });
  expect(built.status).toBe(200);
  expect((await t.call("POST", "/environments", { name: environment, type: "production" })).status).toBe(201);
  return { product, version, environment, versionId: built.body.version_id as string };
}
