import type { Pacer } from "../db/pacing.ts";
import { UnitOfWork } from "../ingest/unit-of-work.ts";
import type { TestApp } from "./test-app.ts";

/** A unit of work on the test app's database, reading through its group committer's prepared reads. */
export function testUnit(t: TestApp, pacer?: Pacer): UnitOfWork {
  return new UnitOfWork(t.database.db, t.runtime.committer.reads, undefined, pacer);
}

/** A deployment event over HTTP, as a CI step sends it. */
export function postDeployment(
  t: TestApp,
  product: string,
  version: string,
  environment: string,
  status: string,
  extra: object = {},
) {
  return t.call("POST", "/deployment-events/", {
    product_name: product,
    version,
    environment_name: environment,
    status,
    ...extra,
  });
}

/** One cell of `GET /state`, or undefined when the product or environment is not shown. */
export async function stateCell(t: TestApp, product: string, environment: string) {
  const state = await t.call("GET", "/state");
  const row = state.body.products.find((p: { name: string }) => p.name === product);
  return row?.cells.find((c: { environment_name: string }) => c.environment_name === environment);
}
