import { afterEach, describe, expect, it } from "vitest";
import { VersionerClient } from "./client.ts";
import { reportOnlyViolations, reportOnlyViolationsOf } from "./preflight.ts";
import { type LoopbackServer, sendJson, startLoopbackServer } from "./testing/loopback-server.ts";

let server: LoopbackServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

describe("reportOnlyViolations", () => {
  it("keeps failed report-only rules only", () => {
    const extra = {
      preflight_status: {
        rules_evaluated: [
          {
            rule_name: "Soak",
            status: "report_only",
            evaluation_result: "failed",
            error_message: "too soon",
          },
          { rule_name: "Window", status: "enabled", evaluation_result: "passed" },
          { rule_name: "Flow", status: "report_only", evaluation_result: "passed" },
          { status: "report_only", evaluation_result: "failed" },
          "garbage",
        ],
      },
    };
    expect(reportOnlyViolations(extra)).toEqual([
      { ruleName: "Soak", message: "too soon" },
      { ruleName: "unnamed rule", message: "rule not satisfied" },
    ]);
  });

  it("tolerates missing or malformed preflight data", () => {
    expect(reportOnlyViolations(undefined)).toEqual([]);
    expect(reportOnlyViolations({})).toEqual([]);
    expect(reportOnlyViolations({ preflight_status: "passed" })).toEqual([]);
    expect(reportOnlyViolations({ preflight_status: { rules_evaluated: {} } })).toEqual([]);
  });
  it("reads the hosted spelling (status report_only, evaluation_result failed)", () => {
    const metadata = {
      preflight_status: {
        status: "failed",
        rules_evaluated: [
          {
            rule_name: "Freeze",
            status: "report_only",
            evaluation_result: "failed",
            error_message: "frozen",
          },
          { rule_name: "Flow", status: "report_only", evaluation_result: "passed", error_message: null },
        ],
      },
    };
    expect(reportOnlyViolations(metadata)).toEqual([{ ruleName: "Freeze", message: "frozen" }]);
  });

  it("reads ours (mode report_only, status failed) and ignores enabled rules and junk", () => {
    expect(
      reportOnlyViolationsOf([
        { rule_name: "Soak", rule_id: "r1", mode: "report_only", status: "failed", error_message: "" },
        { rule_name: "Lock", rule_id: "r2", mode: "enabled", status: "passed" },
        "junk",
        null,
      ]),
    ).toEqual([{ ruleName: "Soak", message: "rule not satisfied" }]);
    expect(reportOnlyViolations(undefined)).toEqual([]);
    expect(reportOnlyViolations({ preflight_status: "passed" })).toEqual([]);
  });
});

describe("VersionerClient.preflight", () => {
  it("posts the question and returns a block as an answer, not an error", async () => {
    const answer = {
      allowed: false,
      block: { error: "deployment_blocked", code: "ENVIRONMENT_LOCKED", message: "locked" },
      http_status: 423,
      warnings: [],
      rules_evaluated: [],
    };
    server = await startLoopbackServer((_req, res) => sendJson(res, 200, answer));
    const client = new VersionerClient({ apiUrl: server.url, apiKey: "k" });
    const question = { product_name: "shop", version: "1.0.0", environment_name: "production" };
    await expect(client.preflight(question)).resolves.toEqual(answer);
    expect(server.requests[0]).toMatchObject({ method: "POST", url: "/preflight" });
    expect(JSON.parse(server.requests[0]?.body ?? "")).toEqual(question);
    expect(server.requests[0]?.headers["idempotency-key"]).toBeUndefined();
  });
});
