import { describe, expect, it } from "vitest";
import { type HistoryEntry, isRollback, rollbacksInHistory } from "./rollbacks.ts";

// One product in one environment; `d<n>` deploys version `v` at minute n.
function history(...steps: Array<[string, string?]>): HistoryEntry[] {
  return steps.map(([version, status = "completed"], n) => ({
    id: `d${n}`,
    version_id: `id-${version}`,
    version,
    status,
    at: `2026-03-01T10:${String(n).padStart(2, "0")}:00.000Z`,
  }));
}

describe("rollback rule (Datadog's definition)", () => {
  it("1.4 → 1.5 → 1.4 is a rollback from 1.5; the roll-forward to 1.6 is not", () => {
    expect(rollbacksInHistory(history(["1.4"], ["1.5"], ["1.4"], ["1.6"]))).toEqual([
      { deployment_id: "d2", replaced_deployment_id: "d1", rolled_back_from_version: "1.5" },
    ]);
  });

  it("redeploying the current version is not a rollback, however often", () => {
    expect(rollbacksInHistory(history(["1.4"], ["1.4"], ["1.4"]))).toEqual([]);
  });

  it("going back to 1.5 after rolling back from it is itself a rollback (1.5 ran there before)", () => {
    expect(
      rollbacksInHistory(history(["1.4"], ["1.5"], ["1.4"], ["1.5"])).map((m) => m.deployment_id),
    ).toEqual(["d2", "d3"]);
  });

  it("only completed deployments count: a failed 1.5 never ran, so going to 1.4 is no rollback", () => {
    expect(rollbacksInHistory(history(["1.4"], ["1.5", "failed"], ["1.4"]))).toEqual([]);
    // …and a version that only failed before is new when it finally completes.
    expect(rollbacksInHistory(history(["1.4"], ["1.5", "failed"], ["1.5"], ["1.4"]))).toEqual([
      { deployment_id: "d3", replaced_deployment_id: "d2", rolled_back_from_version: "1.5" },
    ]);
  });

  it("a rollback further back than one step: 1 → 2 → 3 → 1 is a rollback from 3", () => {
    expect(rollbacksInHistory(history(["1"], ["2"], ["3"], ["1"]))).toEqual([
      { deployment_id: "d3", replaced_deployment_id: "d2", rolled_back_from_version: "3" },
    ]);
  });

  it("the first deployment to an environment replaces nothing", () => {
    expect(isRollback(null, { id: "d0", version_id: "a", at: "2026-03-01T00:00:00.000Z" }, true)).toBe(false);
  });

  it("a late event completing before the current deployment replaces nothing (tie: it does)", () => {
    const replaced = {
      deployment_id: "d1",
      version_id: "b",
      version: "2",
      deployed_at: "2026-03-01T10:00:00.000Z",
    };
    expect(isRollback(replaced, { id: "d2", version_id: "a", at: "2026-03-01T09:59:59.999Z" }, true)).toBe(
      false,
    );
    expect(isRollback(replaced, { id: "d2", version_id: "a", at: "2026-03-01T10:00:00.000Z" }, true)).toBe(
      true,
    );
  });
});
