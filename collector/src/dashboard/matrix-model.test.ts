import type { Product, StateCell, StateResponse } from "@versioner/schema";
import { hasDrift } from "@versioner/schema";
import { describe, expect, it } from "vitest";
import { buildMatrix, filtersQuery, parseFilters, teamsOf } from "./matrix-model.ts";

const T0 = "2026-03-01T10:00:00.000Z";

function cell(environment: string, version?: string, extra: Partial<StateCell> = {}): StateCell {
  return {
    environment_id: environment,
    environment_name: environment,
    current: version
      ? {
          version,
          version_id: `${version}-id`,
          deployment_id: `d-${version}`,
          deployed_at: T0,
          deployed_by: null,
        }
      : null,
    in_progress: null,
    failed: null,
    ...extra,
  };
}

const state: StateResponse = {
  environments: [
    { id: "dev", name: "dev", type: "dev" },
    { id: "stage", name: "stage", type: "staging" },
    { id: "prod", name: "prod", type: "production" },
  ],
  products: [
    {
      id: "a",
      name: "api",
      drift: true,
      cells: [cell("dev", "2.0"), cell("stage", "1.0"), cell("prod", "1.0")],
    },
    {
      id: "w",
      name: "web",
      drift: false,
      cells: [
        cell("dev", "5.0"),
        cell("stage", "5.0", {
          failed: { version: "5.1", deployment_id: "f1", status: "failed", at: "2026-03-02T10:00:00.000Z" },
        }),
        cell("prod"),
      ],
    },
  ],
};

const products = [
  { id: "a", name: "api", extra_metadata: { team: "core" } },
  { id: "w", name: "web", extra_metadata: { team: "front" } },
] as unknown as Product[];

describe("matrix model", () => {
  it("drift: versions differ among the cells that run something", () => {
    expect(hasDrift([cell("dev", "1"), cell("prod", "2")])).toBe(true);
    expect(hasDrift([cell("dev", "1"), cell("prod", "1"), cell("qa")])).toBe(false);
    expect(hasDrift([])).toBe(false);
  });

  it("filters round-trip through the URL; the drift checkbox's hidden 0 means off", () => {
    const filters = parseFilters(
      new URLSearchParams("product=ap&environment=dev&type=production&team=core&drift=0"),
    );
    expect(filters).toEqual({
      product: "ap",
      environments: ["dev"],
      types: ["production"],
      team: "core",
      drift: false,
    });
    expect(parseFilters(new URLSearchParams(filtersQuery(filters)))).toEqual(filters);
    expect(parseFilters(new URLSearchParams("drift=0&drift=1")).drift).toBe(true);
    expect(parseFilters(new URLSearchParams("type=bogus")).types).toEqual([]);
    expect(filtersQuery(parseFilters(new URLSearchParams("")))).toBe("");
  });

  it("drift is computed over the shown environments only", () => {
    const all = buildMatrix(state, products, parseFilters(new URLSearchParams()));
    expect(all.rows.map((r) => [r.name, r.drift])).toEqual([
      ["api", true],
      ["web", false],
    ]);
    const later = buildMatrix(
      state,
      products,
      parseFilters(new URLSearchParams("type=staging&type=production")),
    );
    expect(later.columns.map((c) => c.name)).toEqual(["stage", "prod"]);
    expect(later.rows.map((r) => r.drift)).toEqual([false, false]);
  });

  it("filters by product name, team, and lists teams and failed latest attempts", () => {
    const matrix = buildMatrix(state, products, parseFilters(new URLSearchParams("team=front")));
    expect(matrix.rows.map((r) => r.name)).toEqual(["web"]);
    expect(teamsOf(products)).toEqual(["core", "front"]);
    expect(matrix.failures).toEqual([
      {
        product: "web",
        environment: "stage",
        version: "5.1",
        deploymentId: "f1",
        at: "2026-03-02T10:00:00.000Z",
      },
    ]);
    expect(buildMatrix(state, products, parseFilters(new URLSearchParams("product=AP"))).rows).toHaveLength(
      1,
    );
  });

  it("a column is active at its latest deployment or attempt, across all products", () => {
    const matrix = buildMatrix(state, products, parseFilters(new URLSearchParams("product=api")));
    expect(matrix.columns.map((c) => c.activeAt)).toEqual([T0, "2026-03-02T10:00:00.000Z", T0]);
  });
});
