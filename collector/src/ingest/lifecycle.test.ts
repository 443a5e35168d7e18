import { DeploymentEventInput } from "@versioner/schema";
import { describe, expect, it } from "vitest";
import { canonicalJson, legacyRequestHash, lifecycleStep, repeatsLatest, requestHash } from "./lifecycle.ts";

const deployment = (body: Record<string, unknown>) => DeploymentEventInput.parse(body);
const base = { product_name: "checkout", version: "1.5.0", environment_name: "production" };

describe("canonical body", () => {
  it("sorts keys at every level and drops absent values, keeping array order and nulls in metadata", () => {
    expect(canonicalJson({ b: 1, a: { d: [2, 1], c: null }, e: undefined })).toBe(
      '{"a":{"c":null,"d":[2,1]},"b":1}',
    );
  });

  it("hashes aliases, time offsets, empty and unknown fields like the event they mean", () => {
    const plain = requestHash(
      "deployment",
      deployment({ ...base, status: "completed", completed_at: "2026-03-01T10:00:00Z" }),
    );
    const spelled = requestHash(
      "deployment",
      deployment({
        status: "Success",
        completed_at: "2026-03-01T11:00:00+01:00",
        deployed_by: "",
        client_field: 1,
        ...base,
      }),
    );
    expect(spelled).toBe(plain);
    expect(requestHash("build", deployment({ ...base, status: "completed" }))).not.toBe(
      requestHash("deployment", deployment({ ...base, status: "completed" })),
    );
    expect(legacyRequestHash({ kind: "deployment", payload: { ...base, status: "success" } })).toBe(
      requestHash("deployment", deployment({ ...base, status: "completed" })),
    );
    expect(legacyRequestHash({ kind: "deployment", payload: { status: "nonsense" } })).toBeNull();
  });
});

describe("repeatsLatest", () => {
  const latest = { latestHash: "h", latestReceivedAt: "2026-03-01T10:00:00.000Z", windowSeconds: 600 };

  it("needs the same hash, and without invoke_id the window", () => {
    const at = (iso: string) => new Date(iso);
    const same = { ...latest, hash: "h", hasInvokeId: false };
    expect(repeatsLatest({ ...same, receivedAt: at("2026-03-01T10:10:00.000Z") })).toBe(true);
    expect(repeatsLatest({ ...same, receivedAt: at("2026-03-01T10:10:00.001Z") })).toBe(false);
    expect(repeatsLatest({ ...same, hasInvokeId: true, receivedAt: at("2026-03-09T00:00:00.000Z") })).toBe(
      true,
    );
    expect(repeatsLatest({ ...same, hash: "other", receivedAt: at("2026-03-01T10:00:01.000Z") })).toBe(false);
    expect(repeatsLatest({ ...same, latestHash: null, receivedAt: at("2026-03-01T10:00:01.000Z") })).toBe(
      false,
    );
  });
});

describe("lifecycleStep", () => {
  it("advances a run's record, or an open record only while it is the latest of its stream", () => {
    const matched = { id: "d1" };
    expect(lifecycleStep({ hasInvokeId: false, matched: undefined, latestRecordId: "d1" })).toBe("start");
    expect(lifecycleStep({ hasInvokeId: false, matched, latestRecordId: "d1" })).toBe("advance");
    expect(lifecycleStep({ hasInvokeId: false, matched, latestRecordId: "d2" })).toBe("supersede");
    expect(lifecycleStep({ hasInvokeId: true, matched, latestRecordId: "d2" })).toBe("advance");
  });
});
