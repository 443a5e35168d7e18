import { describe, expect, it } from "vitest";
import {
  blockedMessage,
  blockedSummary,
  notRecordedSummary,
  recordedNotice,
  recordedSummary,
} from "./report.ts";

const deployment = {
  kind: "deployment" as const,
  productName: "api",
  version: "1.2.3",
  environmentName: "production",
  status: "completed",
  sha: "abc1234def",
  link: "https://versioner.example.com/deployments/d1",
};

describe("summaries", () => {
  it("shows what was recorded with a link", () => {
    const summary = recordedSummary(deployment, []);
    expect(summary).toContain("### ✅ Versioner: deployment recorded");
    expect(summary).toContain("| Environment | production |");
    expect(summary).toContain("| Commit | abc1234def |");
    expect(summary).toContain(
      "[View the deployment in Versioner](https://versioner.example.com/deployments/d1)",
    );
    expect(recordedNotice(deployment)).toBe(
      "Versioner recorded deployment of api 1.2.3 to production (completed)",
    );
  });

  it("leaves out empty rows and escapes table cells", () => {
    const summary = recordedSummary(
      { ...deployment, kind: "build", environmentName: undefined, version: "a|<b>" },
      [],
    );
    expect(summary).not.toContain("Environment");
    expect(summary).toContain("| Version | a\\|&lt;b&gt; |");
  });

  it("lists report-only violations", () => {
    const summary = recordedSummary(deployment, [{ ruleName: "Soak", message: "too soon" }]);
    expect(summary).toContain("- Soak: too soon");
  });

  it("explains a preflight block with the rule, reason and retry time", () => {
    const block = {
      code: "NO_DEPLOY_WINDOW",
      message: "Friday freeze",
      retryAfter: "2026-01-05T08:00:00Z",
      details: { rule_name: "Freeze" },
    };
    expect(blockedMessage("deployment", block)).toBe(
      'Deployment blocked by rule "Freeze" (NO_DEPLOY_WINDOW): Friday freeze Retry after 2026-01-05T08:00:00Z.',
    );
    const summary = blockedSummary("deployment", block, "api", "production");
    expect(summary).toContain("| Rule | Freeze |");
    expect(summary).toContain("| Retry after | 2026-01-05T08:00:00Z |");
    expect(summary).toContain('"rule_name": "Freeze"');
  });

  it("says whether a collector failure was tolerated", () => {
    expect(notRecordedSummary("build", "unreachable", false)).toContain("fail_on_api_error");
    expect(notRecordedSummary("build", "unreachable", true)).not.toContain("fail_on_api_error");
  });
});
