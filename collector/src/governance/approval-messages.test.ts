import { describe, expect, it } from "vitest";
import { describe as describeMessage } from "../notifications/message-facts.ts";
import { buildPayload } from "../notifications/payload.ts";

const product = { id: "p1", name: "checkout" };
const version = { id: "v1", version: "1.4.2" };

describe("approval and deployment request messages", () => {
  it("names the approval type and who decided a version", () => {
    const payload = buildPayload(
      {
        type: "version.rejected",
        occurred_at: "2026-03-01T10:00:00.000Z",
        status: "rejected",
        data: {
          product,
          version,
          approval: {
            type: "security",
            decision: "rejected",
            comment: "CVE open",
            approved_by: "sam@x.test",
          },
        },
      },
      { eventId: "e1" },
    );
    const facts = describeMessage(payload);
    expect(facts.title).toBe("👎 checkout 1.4.2 rejected (security) by sam@x.test");
    expect(facts.tone).toBe("bad");
    expect(facts.facts).toContainEqual({ label: "Comment", value: "CVE open" });
  });

  it("says what happened to a deployment request and to the slot just decided", () => {
    const event = (type: string, status: string, slot: object | null) =>
      describeMessage(
        buildPayload(
          {
            type,
            occurred_at: "2026-03-01T10:00:00.000Z",
            status,
            data: { product, version, deployment_request: { id: "r1", name: "Q4 launch", status }, slot },
          },
          { eventId: "e2" },
        ),
      );
    expect(event("deployment_request.submitted", "in_progress", null).title).toBe(
      "📨 Deployment request Q4 launch submitted",
    );
    const decided = event("deployment_request.slot_decided", "in_progress", {
      type: "qa",
      status: "approved",
      decided_by: "quinn@x.test",
    });
    expect(decided.title).toBe("👍 Deployment request Q4 launch: qa approved by quinn@x.test");
    const completed = event("deployment_request.completed", "completed", null);
    expect(completed).toMatchObject({ title: "✅ Deployment request Q4 launch completed", tone: "good" });
  });
});
