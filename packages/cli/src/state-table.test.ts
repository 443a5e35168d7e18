import type { StateResponse } from "@versioner/schema";
import { describe, expect, it } from "vitest";
import { formatStateTable } from "./state-table.ts";

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
          drift: true,
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

  it("says so when nothing was recorded", () => {
    expect(formatStateTable({ environments: [], products: [] })).toBe("No deployments recorded yet.\n");
  });
});
