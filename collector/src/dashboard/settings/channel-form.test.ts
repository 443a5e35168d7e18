import { describe, expect, it } from "vitest";
import { ValidationError } from "../../errors.ts";
import { describeSubscription, readChannelForm } from "./channel-form.tsx";

describe("readChannelForm", () => {
  it("reads a webhook channel with headers and subscriptions, dropping the empty one", () => {
    const input = readChannelForm(
      {
        name: " deploys ",
        enabled: "1",
        url: "https://hooks.example.com/x",
        secret: "s3cr3t",
        headers: "X-Team: payments\n\nX-Env:  prod ",
        subscription_count: "2",
        "sub0.events[]": ["deployment.*", "release.completed"],
        "sub0.products": "checkout, payments",
        "sub0.environments": "",
        "sub0.types[]": ["production"],
        "sub0.statuses": "failed",
        "sub1.products": "ignored: no event ticked",
      },
      "webhook",
    );
    expect(input).toEqual({
      name: "deploys",
      enabled: true,
      url: "https://hooks.example.com/x",
      secret: "s3cr3t",
      headers: { "X-Team": "payments", "X-Env": "prod" },
      subscriptions: [
        {
          event_types: ["deployment.*", "release.completed"],
          products: ["checkout", "payments"],
          environments: [],
          environment_types: ["production"],
          statuses: ["failed"],
        },
      ],
    });
  });

  it("leaves empty write-only fields out (they keep their value) and clears on request", () => {
    const kept = readChannelForm({ name: "x", url: "", secret: "", headers: "" }, "webhook");
    expect(kept).toEqual({ name: "x", enabled: false, subscriptions: [] });
    const cleared = readChannelForm({ name: "x", clear_secret: "1", clear_headers: "1" }, "webhook");
    expect(cleared).toMatchObject({ secret: null, headers: null });
  });

  it("takes recipients for email and no URL, secret or headers for Slack", () => {
    expect(readChannelForm({ name: "m", recipients: "a@example.com\nb@example.com" }, "email")).toMatchObject(
      {
        recipients: ["a@example.com", "b@example.com"],
      },
    );
    const slack = readChannelForm({ name: "s", url: "https://hooks.slack.com/x", secret: "no" }, "slack");
    expect(slack).toEqual({ name: "s", enabled: false, url: "https://hooks.slack.com/x", subscriptions: [] });
  });

  it("refuses a header line without a colon and an unknown environment type, naming the field", () => {
    expect(() => readChannelForm({ name: "x", headers: "X-Team payments" }, "webhook")).toThrow(
      ValidationError,
    );
    try {
      readChannelForm(
        { name: "x", subscription_count: "1", "sub0.events[]": "*", "sub0.types[]": "prod" },
        "webhook",
      );
      expect.unreachable();
    } catch (error) {
      expect((error as ValidationError).detail).toEqual([
        expect.objectContaining({ loc: ["body", "subscriptions", 0, "environment_types"] }),
      ]);
    }
  });
});

it("describes a subscription in a few words", () => {
  expect(
    describeSubscription({
      event_types: ["deployment.failed"],
      products: ["checkout"],
      environments: [],
      environment_types: ["production"],
      statuses: [],
    }),
  ).toBe("deployment.failed · checkout · in production environments");
});
