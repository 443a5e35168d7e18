import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { compareLink } from "../insights/compare-link.ts";
import { signature } from "./channel-sender.ts";
import { emailMessage } from "./email-message.ts";
import { parseRetryAfter } from "./http-sender.ts";
import { buildPayload, NotificationPayload, payloadJsonSchema } from "./payload.ts";
import { slackMessage } from "./slack-message.ts";
import { teamsMessage } from "./teams-message.ts";

const deployment = buildPayload(
  {
    type: "deployment.failed",
    occurred_at: "2026-03-01T10:00:00.000Z",
    product_id: "p1",
    product_name: "checkout <api>",
    environment_id: "e1",
    environment_name: "production",
    environment_type: "production",
    status: "failed",
    data: {
      version: { id: "v1", version: "1.4.2", scm_sha: "abcdef1234567890", scm_repository: "acme/checkout" },
      deployment: {
        id: "d1",
        deployed_by: "octocat",
        deployed_by_name: "Mona Lisa",
        deploy_url: "https://ci.example.com/run/7",
        source_system: "github",
        completed_at: "2026-03-01T10:00:00.000Z",
      },
    },
  },
  { eventId: "ev1", previous: { version: "1.4.1", scm_sha: "1111111" } },
);

const build = buildPayload(
  {
    type: "build.completed",
    occurred_at: "2026-03-01T09:00:00.000Z",
    product_name: "checkout",
    status: "completed",
    data: {
      version: { id: "v1", version: "1.4.2", built_by: "ci-bot" },
      build: { id: "b1", build_url: "https://ci.example.com/build/3", built_by: "ci-bot" },
      buttons: [{ name: "Deploy", url: "https://deploy.example.com/?v=1.4.2", environment_name: "staging" }],
    },
  },
  { eventId: "ev2" },
);

describe("payload", () => {
  it("is valid against its own schema and carries the SPEC fields", () => {
    expect(NotificationPayload.parse(deployment)).toEqual(deployment);
    expect(deployment).toMatchObject({
      id: "d1",
      event_id: "ev1",
      deployment_id: "d1",
      event_type: "deployment.failed",
      product_name: "checkout <api>",
      version: "1.4.2",
      environment: "production",
      deployer: "octocat",
      deployed_at: "2026-03-01T10:00:00.000Z",
      is_successful: false,
      repo_name: "acme/checkout",
      commit_sha: "abcdef1234567890",
      source_url: "https://ci.example.com/run/7",
      previous_version: "1.4.1",
    });
    expect(build).toMatchObject({
      id: "b1",
      event_id: "ev2",
      subject: "build",
      deployer: "ci-bot",
      is_successful: null,
      deployment_url: null,
      source_url: "https://ci.example.com/build/3",
    });
  });

  it("sets is_successful as the hosted product does: deployments only, aborted is neither", () => {
    const outcome = (type: string, status: string) =>
      buildPayload(
        { type, occurred_at: "2026-03-01T10:00:00.000Z", status, data: { deployment: { id: "d1" } } },
        { eventId: "e" },
      ).is_successful;
    expect(outcome("deployment.completed", "completed")).toBe(true);
    expect(outcome("deployment.failed", "failed")).toBe(false);
    expect(outcome("deployment.preflight_failed", "failed")).toBe(false);
    expect(outcome("deployment.aborted", "aborted")).toBeNull();
    expect(outcome("deployment.started", "started")).toBeNull();
    expect(outcome("deployment.pending", "pending")).toBeNull();
    expect(outcome("build.completed", "completed")).toBeNull();
    expect(outcome("build.failed", "failed")).toBeNull();
    expect(outcome("release.completed", "completed")).toBeNull();
  });

  it("links the deployment's page on this collector only when VERSIONER_PUBLIC_URL is set", () => {
    const event = {
      type: "deployment.completed",
      occurred_at: "2026-03-01T10:00:00.000Z",
      status: "completed",
      data: { deployment: { id: "d 1", deploy_url: "https://ci.example.com/run/9" } },
    };
    const linked = buildPayload(event, { eventId: "e", publicUrl: "https://versioner.example.com/base/" });
    expect(linked.deployment_url).toBe("https://versioner.example.com/base/deployments/d%201");
    expect(linked.source_url).toBe(linked.deployment_url);
    const blocks = slackMessage(linked).blocks as Array<{ type: string; elements?: Array<{ url?: string }> }>;
    expect(blocks.find((block) => block.type === "actions")?.elements?.[0]?.url).toBe(linked.deployment_url);
    const plain = buildPayload(event, { eventId: "e" });
    expect(plain.deployment_url).toBeNull();
    expect(plain.source_url).toBe("https://ci.example.com/run/9");
  });

  it("reads release events from their data", () => {
    const release = buildPayload(
      {
        type: "release.completed",
        occurred_at: "2026-03-01T11:00:00.000Z",
        status: "completed",
        data: { release: { id: "r1", name: "Spring", status: "completed" } },
      },
      { eventId: "ev3" },
    );
    expect(release).toMatchObject({
      subject: "release",
      id: "r1",
      release: { id: "r1", name: "Spring" },
      is_successful: null,
    });
    expect(slackMessage(release).text).toBe("🎉 Release Spring completed");
  });

  it("is documented: docs/notifications.md holds the same JSON Schema", () => {
    const docs = readFileSync(new URL("../../../docs/notifications.md", import.meta.url), "utf8");
    const block = /<!-- payload-schema:start -->\s*```json\n([\s\S]*?)```\s*<!-- payload-schema:end -->/.exec(
      docs,
    );
    expect(block?.[1] && JSON.parse(block[1])).toEqual(payloadJsonSchema());
  });

  it("documents every field in docs/notifications.md's field table", () => {
    const docs = readFileSync(new URL("../../../docs/notifications.md", import.meta.url), "utf8");
    const table = /<!-- payload-fields:start -->([\s\S]*?)<!-- payload-fields:end -->/.exec(docs)?.[1] ?? "";
    const fields = [...table.matchAll(/^\| `([a-z_]+)`/gm)].map((match) => match[1]);
    expect(fields).toEqual(Object.keys(NotificationPayload.shape));
  });

  it.each([
    ["acme/web", "github", "https://github.com/acme/web/compare/a1...b2"],
    ["https://github.example.com/acme/web.git", null, "https://github.example.com/acme/web/compare/a1...b2"],
    ["https://gitlab.com/group/sub/web", null, "https://gitlab.com/group/sub/web/-/compare/a1...b2"],
    ["group/web", "gitlab", "https://gitlab.com/group/web/-/compare/a1...b2"],
    ["acme/web", "jenkins", null],
    ["https://bitbucket.org/acme/web", null, "https://bitbucket.org/acme/web/branches/compare/b2%0Da1"],
    ["acme/web", "bitbucket", "https://bitbucket.org/acme/web/branches/compare/b2%0Da1"],
    ["https://git.example.com/acme/web", null, null],
  ])("compare link for %s (%s)", (repo, system, expected) => {
    expect(compareLink(repo, "a1", "b2", system)).toBe(expected);
  });
});

describe("messages", () => {
  it("Slack: Block Kit with header, facts, links and escaped text", () => {
    const message = slackMessage(deployment) as any;
    expect(message.text).toBe("❌ checkout <api> 1.4.2 failed to deploy to production");
    expect(message.blocks[0]).toMatchObject({ type: "header" });
    const fields = message.blocks[1].fields.map((f: any) => f.text);
    expect(fields).toEqual(
      expect.arrayContaining([
        "*Product*\ncheckout &lt;api&gt;",
        "*Version*\n1.4.2",
        "*Environment*\nproduction",
        "*Status*\n❌ failed",
        "*Deployed by*\nMona Lisa",
        "*Time*\n2026-03-01 10:00 UTC",
        "*Previous version*\n1.4.1",
      ]),
    );
    expect(message.blocks[2].elements.map((e: any) => e.url)).toEqual([
      "https://ci.example.com/run/7",
      "https://github.com/acme/checkout/compare/1111111...abcdef1234567890",
    ]);
  });

  it("build completed: 'ready to deploy' with the deployment buttons", () => {
    const slack = slackMessage(build) as any;
    expect(slack.text).toBe("✅ checkout 1.4.2 built: ready to deploy");
    expect(slack.blocks[2].elements.map((e: any) => e.text.text)).toContain("Deploy (staging)");
    const teams = teamsMessage(build) as any;
    expect(teams.attachments[0].content.actions).toContainEqual({
      type: "Action.OpenUrl",
      title: "Deploy (staging)",
      url: "https://deploy.example.com/?v=1.4.2",
    });
  });

  it("Teams: an Adaptive Card with a fact set, red for failures", () => {
    const card = (teamsMessage(deployment) as any).attachments[0].content;
    expect(card).toMatchObject({ type: "AdaptiveCard", version: "1.4" });
    expect(card.body[0]).toMatchObject({ color: "Attention", text: expect.stringContaining("failed") });
    expect(card.body[1].facts).toContainEqual({ title: "Environment", value: "production" });
  });

  it("email: text and HTML with the same facts, HTML-escaped", () => {
    const mail = emailMessage(deployment);
    expect(mail.subject).toBe("❌ checkout <api> 1.4.2 failed to deploy to production");
    expect(mail.text).toContain("Environment: production");
    expect(mail.text).toContain("Open deployment: https://ci.example.com/run/7");
    expect(mail.html).toContain("checkout &lt;api&gt;");
    expect(mail.html).not.toContain("<api>");
  });
});

describe("delivery rules", () => {
  it("signs timestamp.body with HMAC-SHA256", () => {
    // printf '1700000000.{"a":1}' | openssl dgst -sha256 -hmac secret
    expect(signature("secret", "1700000000", '{"a":1}')).toBe(
      "sha256=49f24e537407743fa4a0242bb63b94b9a47ee99cbbe071ccd8a22550ae411686",
    );
    expect(signature("secret", "1", "x")).not.toBe(signature("secret", "2", "x"));
    expect(signature("secret", "1", "x")).toMatch(/^sha256=[0-9a-f]{64}$/);
  });

  it("reads Retry-After as seconds or an HTTP date", () => {
    expect(parseRetryAfter("120")).toBe(120_000);
    expect(parseRetryAfter("Sun, 01 Mar 2026 10:01:00 GMT", Date.parse("2026-03-01T10:00:00Z"))).toBe(60_000);
    expect(parseRetryAfter("soon")).toBeNull();
    expect(parseRetryAfter(undefined)).toBeNull();
  });
});
