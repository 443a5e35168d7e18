import type { Pacer } from "../db/pacing.ts";
import { UnitOfWork, type VersionRow } from "../ingest/unit-of-work.ts";
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

/** A version row with nothing but its names and times: what a build event without details stores. */
export function bareVersion(id: string, productId: string, version: string, at: string): VersionRow {
  return {
    id,
    product_id: productId,
    version,
    scm_sha: null,
    scm_repository: null,
    scm_branch: null,
    scm_committed_at: null,
    build_number: null,
    build_url: null,
    source_system: null,
    invoke_id: null,
    built_by: null,
    built_by_email: null,
    built_by_name: null,
    status: null,
    started_at: null,
    completed_at: null,
    extra_metadata: {},
    created_at: at,
    updated_at: at,
  };
}
