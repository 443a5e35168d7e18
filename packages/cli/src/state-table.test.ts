import type { StateResponse } from "@versioner/schema";
import { describe, expect, it } from "vitest";
import { formatStateTable, type StateWithDrift } from "./state-table.ts";

const current = (version: string) => ({
  version,
  version_id: `v-${version}`,
  deployment_id: `d-${version}`,
  deployed_at: "2026-01-01T00:00:00.000Z",
  deployed_by: null,
});

describe("formatStateTable", () => {
  it("aligns products × environments with in-progress and failed markers", () => {
    const state: StateResponse = {
      environments: [
        { id: "e1", name: "staging", type: "staging" },
        { id: "e2", name: "production", type: "production" },
      ],
      products: [
        {
          id: "p1",
          name: "shop-api",
          drift: false, // markers alone here; drift has its own test below
          cells: [
            {
              environment_id: "e1",
              environment_name: "staging",
              current: current("1.3.0"),
              in_progress: {
                version: "1.4.0",
                deployment_id: "d9",
                status: "started",
                since: "2026-01-01T00:00:00Z",
              },
              failed: null,
            },
            {
              environment_id: "e2",
              environment_name: "production",
              current: current("1.2.0"),
              in_progress: null,
              failed: { version: "1.3.0", deployment_id: "d8", status: "failed", at: "2026-01-01T00:00:00Z" },
            },
          ],
        },
        { id: "p2", name: "web", drift: false, cells: [] },
      ],
    };
    expect(formatStateTable(state)).toBe(
      [
        "PRODUCT   staging       production",
        "shop-api  1.3.0 ▶1.4.0  1.2.0 ✗1.3.0",
        "web       -             -",
        "",
        "▶ deployment in progress   ✗ last attempt failed",
        "",
      ].join("\n"),
    );
  });

  it("marks the products whose versions drift across the environments shown, with a legend", () => {
    const cell = (environment: string, version: string | null) => ({
      environment_id: environment,
      environment_name: environment,
      current: version ? current(version) : null,
      in_progress: null,
      failed: null,
    });
    // The shape `GET /state` answers with the drift flag on each product.
    const state: StateWithDrift = {
      environments: [
        { id: "staging", name: "staging", type: "staging" },
        { id: "production", name: "production", type: "production" },
      ],
      products: [
        {
          id: "p1",
          name: "checkout",
          drift: true,
          cells: [cell("staging", "1.5.0"), cell("production", "1.4.0")],
        },
        {
          id: "p2",
          name: "shop-api",
          drift: false,
          cells: [cell("staging", "2.0.1"), cell("production", "2.0.1")],
        },
      ],
    };
    expect(formatStateTable(state)).toBe(
      [
        "PRODUCT     staging  production",
        "checkout ≠  1.5.0    1.4.0",
        "shop-api    2.0.1    2.0.1",
        "",
        "≠ versions differ across these environments",
        "",
      ].join("\n"),
    );
    const noDrift = { ...state, products: state.products.map((product) => ({ ...product, drift: false })) };
    expect(formatStateTable(noDrift)).not.toContain("≠");
  });

  it("says so when nothing was recorded", () => {
    expect(formatStateTable({ environments: [], products: [] })).toBe("No deployments recorded yet.\n");
  });
});
