import { randomUUID } from "node:crypto";
import { and, eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  deploymentRequestSlots,
  deploymentRequests,
  environments,
  products,
  versions,
} from "../db/schema/index.ts";
import { postDeployment } from "../testing/ingest-fixtures.ts";
import { createTestApp, type TestApp, unique } from "../testing/test-app.ts";
import { evaluateLock, evaluateRule, type PreflightReads, type PreflightSubject } from "./evaluation.ts";
import { databaseReads } from "./preflight.ts";
import type { ActiveRule } from "./rules-service.ts";

// The evaluators called directly, with a real database and the dry run's reads, so every rule is
// judged at an instant the test chooses (the app's clock ticks on every reading).

let t: TestApp;
let reads: PreflightReads;
beforeAll(async () => {
  t = await createTestApp();
  reads = databaseReads({ database: t.database, clock: t.clock });
});
afterAll(() => t.close());

type RuleOf<T extends ActiveRule["type"]> = Extract<ActiveRule, { type: T }>;

function active<T extends ActiveRule["type"], S extends RuleOf<T>["settings"]>(type: T, settings: S) {
  return {
    id: randomUUID(),
    name: unique(type),
    type,
    mode: "enabled" as const,
    products: new Set<string>(),
    environments: new Set<string>(),
    settings,
  };
}

/** The subject as the dry run resolves it: ids of what exists. */
async function subjectOf(product: string, version: string, environment: string): Promise<PreflightSubject> {
  const db = t.database.db;
  const [p] = await db.select({ id: products.id }).from(products).where(eq(products.name, product));
  const [v] = p
    ? await db
        .select({ id: versions.id })
        .from(versions)
        .where(and(eq(versions.product_id, p.id), eq(versions.version, version)))
    : [];
  const [e] = await db
    .select({ id: environments.id })
    .from(environments)
    .where(eq(environments.name, environment));
  return {
    productName: product,
    versionName: version,
    environmentName: environment,
    productId: p?.id,
    versionId: v?.id,
    environmentId: e?.id,
  };
}

async function completed(product: string, version: string, environment: string, at: string) {
  const res = await postDeployment(t, product, version, environment, "completed", { completed_at: at });
  expect(res.status, JSON.stringify(res.body)).toBe(200);
}

const minutes = (base: string, n: number) => new Date(Date.parse(base) + n * 60_000).toISOString();
const evaluate = (rule: ActiveRule, subject: PreflightSubject, now: string) =>
  evaluateRule(rule, { subject, reads, now: new Date(now) });

describe("evaluateLock", () => {
  it("names the product a product lock is for, and gives retry_after when it expires", () => {
    const violation = evaluateLock(
      {
        id: "lock-1",
        environment_id: "env-1",
        environment: "production",
        product_id: "product-1",
        product: "checkout",
        reason: "migration",
        locked_by: "ada@example.test",
        created_at: "2026-03-01T09:00:00.000Z",
        expires_at: "2026-03-01T12:00:00.000Z",
      },
      { productName: "checkout", versionName: "1.0", environmentName: "production" },
    );
    expect(violation.message).toBe("production (for checkout) is locked by ada@example.test: migration");
    expect(violation.retry_after).toBe("2026-03-01T12:00:00.000Z");
  });
});

describe("schedule rules", () => {
  const settings = () => ({ recurrence: "daily" as const, timezone: "UTC", start: "00:00", end: "23:59" });
  const subject = { productName: "p", versionName: "1", environmentName: "production" };

  it("say nothing after the end when the window has no reason", async () => {
    const rule = active("schedule", settings());
    const violation = await evaluate(rule, subject, "2026-03-02T12:00:00.000Z");
    expect(violation?.message).toBe(
      `No-deploy window '${rule.name}' is active until 2026-03-02T23:59:00.000Z`,
    );
    expect(violation?.details.reason).toBeNull();
  });

  it("answer the same settings object from memory for the rest of the minute", async () => {
    const rule = active("schedule", settings());
    expect(await evaluate(rule, subject, "2026-03-02T12:00:00.000Z")).not.toBeNull();
    // Rules are cached objects and never change in place; changing one shows where the answer came from.
    rule.settings.end = "11:00";
    expect(await evaluate(rule, subject, "2026-03-02T12:00:59.999Z")).not.toBeNull();
    expect(await evaluate(rule, subject, "2026-03-02T12:01:00.000Z")).toBeNull();
  });

  it("remember at most 1,001 minutes per settings object, then start over", async () => {
    const rule = active("schedule", settings());
    const minute = (k: number) => minutes("2026-03-03T01:00:00.000Z", k);
    for (let k = 0; k <= 1_000; k++) expect(await evaluate(rule, subject, minute(k))).not.toBeNull();
    rule.settings.end = "00:01";
    // 1,001 minutes are all still remembered.
    expect(await evaluate(rule, subject, minute(0))).not.toBeNull();
    expect(await evaluate(rule, subject, minute(1_000))).not.toBeNull();
    // A 1,002nd minute empties the memory first.
    expect(await evaluate(rule, subject, minute(1_001))).toBeNull();
    expect(await evaluate(rule, subject, minute(0))).toBeNull();
  });
});

describe("flow rules", () => {
  const T0 = "2026-02-20T10:00:00.000Z";

  it("skip a prerequisite naming the target environment itself", async () => {
    const product = unique("self");
    const staging = unique("staging");
    const production = unique("production");
    await completed(product, "1", staging, T0);
    const rule = active("flow", {
      prerequisites: [{ environment: staging }, { environment: production }],
      strict_order: false,
    });
    expect(await evaluate(rule, await subjectOf(product, "1", production), minutes(T0, 60))).toBeNull();
    const elsewhere = await evaluate(rule, await subjectOf(product, "1", "edge"), minutes(T0, 60));
    expect(elsewhere?.details).toMatchObject({
      required_environments: [staging, production],
      missing_environments: [production],
    });
  });

  it("list every missing prerequisite, for a new version of a known product too", async () => {
    const product = unique("missing");
    const qa = unique("qa");
    const staging = unique("staging");
    await completed(product, "1", qa, T0);
    const rule = active("flow", {
      prerequisites: [{ environment: qa }, { environment: staging }],
      strict_order: false,
    });
    expect((await evaluate(rule, await subjectOf(product, "1", "production"), T0))?.message).toBe(
      `${product} 1 must be deployed to ${staging} before production`,
    );
    const violation = await evaluate(rule, await subjectOf(product, "2", "production"), T0);
    expect(violation).toEqual({
      status: 428,
      code: "FLOW_VIOLATION",
      message: `${product} 2 must be deployed to ${qa}, ${staging} before production`,
      details: {
        rule_name: rule.name,
        rule_id: rule.id,
        target_environment: "production",
        required_environments: [qa, staging],
        missing_environments: [qa, staging],
        strict_order: false,
      },
    });
  });

  it("with strict order accept prerequisites reached in order or at the same instant, refuse the reverse", async () => {
    const product = unique("strict");
    const qa = unique("qa");
    const staging = unique("staging");
    const uat = unique("uat");
    const rule = active("flow", {
      prerequisites: [{ environment: qa }, { environment: staging }, { environment: uat }],
      strict_order: true,
    });
    await completed(product, "1", qa, T0);
    await completed(product, "1", staging, minutes(T0, 1));
    await completed(product, "1", uat, minutes(T0, 2));
    expect(await evaluate(rule, await subjectOf(product, "1", "production"), minutes(T0, 5))).toBeNull();

    for (const environment of [qa, staging, uat]) await completed(product, "2", environment, T0);
    expect(await evaluate(rule, await subjectOf(product, "2", "production"), minutes(T0, 5))).toBeNull();

    await completed(product, "3", qa, T0);
    await completed(product, "3", staging, minutes(T0, 2));
    await completed(product, "3", uat, minutes(T0, 1));
    const violation = await evaluate(rule, await subjectOf(product, "3", "production"), minutes(T0, 5));
    expect(violation).toEqual({
      status: 428,
      code: "FLOW_VIOLATION",
      message: `${product} 3 reached ${uat} before ${staging}; rule '${rule.name}' requires the order ${qa} → ${staging} → ${uat}`,
      details: {
        rule_name: rule.name,
        rule_id: rule.id,
        target_environment: "production",
        required_environments: [qa, staging, uat],
        out_of_order: [staging, uat],
        strict_order: true,
      },
    });
  });

  it("report the soak that ends last, in whole minutes soaked, until the instant it ends", async () => {
    const product = unique("soak");
    const qa = unique("qa");
    const staging = unique("staging");
    const dev = unique("dev");
    const rule = active("flow", {
      prerequisites: [
        { environment: qa, min_soak_minutes: 30 },
        { environment: dev, min_soak_minutes: 10 },
        { environment: staging, min_soak_minutes: 120 },
      ],
      strict_order: false,
    });
    await completed(product, "1", qa, T0);
    await completed(product, "1", dev, T0);
    await completed(product, "1", staging, minutes(T0, 10));
    const subject = await subjectOf(product, "1", "production");
    const soakedAt = minutes(T0, 130);
    const violation = await evaluate(
      rule,
      subject,
      new Date(Date.parse(minutes(T0, 20)) + 30_000).toISOString(),
    );
    expect(violation).toEqual({
      status: 428,
      code: "INSUFFICIENT_SOAK_TIME",
      message: `${product} 1 has soaked in ${staging} for 10 of the 120 minutes required before production`,
      retry_after: soakedAt,
      details: {
        rule_name: rule.name,
        rule_id: rule.id,
        target_environment: "production",
        environment: staging,
        required_soak_minutes: 120,
        deployed_at: minutes(T0, 10),
        soak_complete_at: soakedAt,
        unsoaked_environments: [staging, qa],
      },
    });
    const lastMillisecond = new Date(Date.parse(soakedAt) - 1).toISOString();
    expect((await evaluate(rule, subject, lastMillisecond))?.message).toContain("for 119 of the 120 minutes");
    expect(await evaluate(rule, subject, soakedAt)).toBeNull();
  });

  it("never hold a version for a prerequisite without a soak time, even one completed in the future", async () => {
    const product = unique("future");
    const early = unique("early");
    const now = "2026-02-21T10:00:00.000Z";
    await completed(product, "1", early, minutes(now, 60));
    const subject = await subjectOf(product, "1", "production");
    for (const soak of [undefined, 0]) {
      const rule = active("flow", {
        prerequisites: [{ environment: early, min_soak_minutes: soak }],
        strict_order: false,
      });
      expect(await evaluate(rule, subject, now), String(soak)).toBeNull();
    }
  });
});

describe("version_approval rules", () => {
  async function version(product: string) {
    const built = await t.call("POST", "/build-events", {
      product_name: product,
      version: "1.0",
      status: "completed",
    });
    expect(built.status).toBe(200);
    return built.body.version_id as string;
  }
  const decide = async (id: string, body: object) =>
    expect((await t.call("POST", `/versions/${id}/approvals`, body)).status).toBe(201);

  it("name the missing types, one or several, and where they must be granted", async () => {
    const product = unique("va");
    const id = await version(product);
    const staging = unique("staging");
    expect((await t.call("POST", "/environments", { name: staging })).status).toBe(201);
    const subject = await subjectOf(product, "1.0", "production");
    const both = active("version_approval", { required_types: ["qa", "security"] });
    expect((await evaluate(both, subject, T()))?.message).toBe(
      `${product} 1.0 needs qa, security approvals before production`,
    );
    await decide(id, { type: "qa" });
    expect((await evaluate(both, subject, T()))?.message).toBe(
      `${product} 1.0 needs security approval before production`,
    );
    expect(await evaluate(active("version_approval", { required_types: ["qa"] }), subject, T())).toBeNull();

    const there = active("version_approval", { required_types: ["qa"], prerequisite_environment: staging });
    expect((await evaluate(there, subject, T()))?.message).toBe(
      `${product} 1.0 needs qa approval (granted for ${staging}) before production`,
    );
    await decide(id, { type: "qa", environment: staging });
    expect(await evaluate(there, subject, T())).toBeNull();
  });

  it("cannot be satisfied when the prerequisite environment does not exist", async () => {
    const product = unique("va-nowhere");
    const id = await version(product);
    await decide(id, { type: "qa" });
    await decide(id, { type: "security", decision: "rejected" });
    const nowhere = unique("nowhere");
    const rule = active("version_approval", { required_types: ["qa"], prerequisite_environment: nowhere });
    const violation = await evaluate(rule, await subjectOf(product, "1.0", "production"), T());
    expect(violation).toEqual({
      status: 428,
      code: "QUALITY_APPROVAL_REQUIRED",
      message: `${product} 1.0 needs qa approval (granted for ${nowhere}) before production`,
      details: {
        rule_name: rule.name,
        rule_id: rule.id,
        required_approvals: ["qa"],
        current_approvals: [],
        missing_approvals: ["qa"],
        rejected_approvals: [],
        prerequisite_environment: nowhere,
      },
    });
  });
});

describe("deployment_request rules", () => {
  async function request(
    product: string,
    environment: string,
    status: string,
    slots: Record<string, string>,
  ) {
    const built = await t.call("POST", "/build-events", {
      product_name: product,
      version: "1",
      status: "completed",
    });
    expect(built.status).toBe(200);
    const env = await t.call("POST", "/environments", { name: environment });
    expect(env.status).toBe(201);
    const now = t.clock.now().toISOString();
    const id = randomUUID();
    await t.database.db.insert(deploymentRequests).values({
      id,
      name: "release",
      description: null,
      product_id: built.body.product_id,
      version_id: built.body.version_id,
      environment_id: env.body.id,
      status,
      created_by_id: "u1",
      created_by: "pm@example.test",
      submitted_at: now,
      decided_at: null,
      completed_at: null,
      completed_by_deployment_id: null,
      cancelled_at: null,
      created_at: now,
      updated_at: now,
    });
    for (const [type, slotStatus] of Object.entries(slots)) {
      await t.database.db.insert(deploymentRequestSlots).values({
        request_id: id,
        type,
        status: slotStatus,
        decided_by_id: null,
        decided_by: null,
        decided_role: null,
        comment: null,
        decided_at: null,
      });
    }
    return id;
  }

  it("without required types and without a request: there is none", async () => {
    const product = unique("dr-none");
    const rule = active("deployment_request", {});
    const violation = await evaluate(rule, await subjectOf(product, "1", "production"), T());
    expect(violation).toEqual({
      status: 428,
      code: "APPROVAL_REQUIRED",
      message: `${product} 1 needs an approved deployment request for production: there is none`,
      details: {
        rule_name: rule.name,
        rule_id: rule.id,
        deployment_request_id: null,
        deployment_request_status: null,
        required_approvals: [],
        missing_approvals: [],
      },
    });
    const typed = active("deployment_request", { required_types: ["uat", "qa"] });
    expect((await evaluate(typed, await subjectOf(product, "1", "production"), T()))?.details).toMatchObject({
      required_approvals: ["uat", "qa"],
      missing_approvals: ["uat", "qa"],
    });
  });

  it("name the open request, its status and the missing types", async () => {
    const product = unique("dr-open");
    const environment = unique("env-dr");
    const id = await request(product, environment, "in_progress", { uat: "pending", qa: "approved" });
    const subject = await subjectOf(product, "1", environment);
    const needsUat = active("deployment_request", { required_types: ["qa", "uat", "security"] });
    expect((await evaluate(needsUat, subject, T()))?.message).toBe(
      `${product} 1 needs an approved deployment request for ${environment}: deployment request ${id} is in_progress (missing uat, security)`,
    );
    const nothingMissing = active("deployment_request", { required_types: ["qa"] });
    expect(await evaluate(nothingMissing, subject, T())).toMatchObject({
      message: `${product} 1 needs an approved deployment request for ${environment}: deployment request ${id} is in_progress`,
      details: { deployment_request_id: id, deployment_request_status: "in_progress", missing_approvals: [] },
    });
  });

  it("let an approved request with every required type through", async () => {
    const product = unique("dr-approved");
    const environment = unique("env-dr");
    await request(product, environment, "approved", { uat: "approved" });
    const rule = active("deployment_request", { required_types: ["uat"] });
    expect(await evaluate(rule, await subjectOf(product, "1", environment), T())).toBeNull();
  });
});

describe("concurrency rules", () => {
  it("a queued (pending) deployment blocks the next one too", async () => {
    const product = unique("queued");
    const environment = unique("env-queued");
    const queued = await postDeployment(t, product, "1", environment, "pending");
    expect(queued.status).toBe(200);
    const rule = active("concurrency", {});
    const violation = await evaluate(rule, await subjectOf(product, "2", environment), T());
    expect(violation?.message).toBe(
      `${product} 1 is already deploying to ${environment} (deployment ${queued.body.id}, pending at ${violation?.details.conflicting_deployment_started})`,
    );
    expect(violation?.details.conflicting_deployment_status).toBe("pending");
  });
});

/** Now, for rules that do not depend on the time. */
function T() {
  return t.clock.now().toISOString();
}
