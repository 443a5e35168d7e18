import { createHash } from "node:crypto";
import { BuildEventInput, DeploymentEventInput } from "@versioner/schema";
import { describe, expect, it } from "vitest";
import { canonicalJson, legacyRequestHash, requestHash } from "./lifecycle.ts";

// Hashes are stored with each event (events.body_hash) and compared with the events of later
// requests, also after an upgrade: their exact form is part of what the database holds.

const build = { product_name: "checkout", version: "1.5.0", status: "success", build_number: 7 };

describe("request hash format", () => {
  it("is the SHA-256 of the kind, a newline and the canonical body", () => {
    const event = DeploymentEventInput.parse({
      product_name: "checkout",
      version: "1.5.0",
      environment_name: "production",
      status: "completed",
    });
    const expected = createHash("sha256")
      .update(`deployment\n${canonicalJson(event)}`)
      .digest("hex");
    expect(requestHash("deployment", event)).toBe(expected);
  });
});

describe("legacy request hash", () => {
  it("reads a stored build payload with the build schema", () => {
    const parsed = BuildEventInput.parse(build);
    expect(legacyRequestHash({ kind: "build", payload: build })).toBe(requestHash("build", parsed));
  });

  it("answers null for a build payload the build schema refuses", () => {
    expect(legacyRequestHash({ kind: "build", payload: { ...build, status: "nonsense" } })).toBeNull();
  });
});
