import type { TestApp } from "./test-app.ts";

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
