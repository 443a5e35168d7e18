import { describe, expect, it } from "vitest";
import { detectCi } from "./detect.ts";
import { envNamesFor, resolveBuildEvent, resolveDeploymentEvent } from "./resolve.ts";
import type { CiContext, Env } from "./types.ts";
import { UsageError } from "./usage-error.ts";

const SHA = "abcdef0123456789abcdef0123456789abcdef01";
const gitlab: Env = {
  GITLAB_CI: "true",
  CI_PROJECT_PATH: "acme/shop-api",
  CI_COMMIT_SHA: SHA,
  CI_COMMIT_REF_NAME: "main",
  CI_PIPELINE_IID: "12",
  CI_PIPELINE_ID: "345",
  CI_PIPELINE_URL: "https://gitlab.com/acme/shop-api/-/pipelines/345",
  CI_JOB_NAME: "build",
  GITLAB_USER_LOGIN: "jdoe",
  GITLAB_USER_EMAIL: "jdoe@example.com",
  CI_COMMIT_TIMESTAMP: "2026-01-02T03:04:05+00:00",
};
const ci = (env: Env): CiContext => detectCi(env);

describe("resolveBuildEvent", () => {
  it("fills everything from detection with defaults for product, version and status", () => {
    expect(resolveBuildEvent({}, gitlab, ci(gitlab))).toEqual({
      product_name: "shop-api",
      version: "abcdef0",
      status: "completed",
      scm_sha: SHA,
      scm_repository: "acme/shop-api",
      scm_branch: "main",
      scm_committed_at: "2026-01-02T03:04:05.000Z",
      build_number: "12",
      build_url: "https://gitlab.com/acme/shop-api/-/pipelines/345",
      source_system: "gitlab",
      invoke_id: "345",
      built_by: "jdoe",
      built_by_email: "jdoe@example.com",
      extra_metadata: {
        vi_gitlab_pipeline_id: "345",
        vi_gitlab_pipeline_url: "https://gitlab.com/acme/shop-api/-/pipelines/345",
        vi_gitlab_job_name: "build",
        vi_gitlab_ref_name: "main",
      },
    });
  });

  it("ranks explicit input over VERSIONER_* env over detection", () => {
    const env = {
      ...gitlab,
      VERSIONER_PRODUCT_NAME: "from-env",
      VERSIONER_VERSION: "2.0.0",
      VERSIONER_SCM_BRANCH: "env-branch",
    };
    const event = resolveBuildEvent(
      { product_name: "from-flag", version: "", status: "success" },
      env,
      ci(env),
    );
    expect(event.product_name).toBe("from-flag");
    expect(event.version).toBe("2.0.0");
    expect(event.scm_branch).toBe("env-branch");
    expect(event.status).toBe("completed");
  });

  it("accepts the VERSIONER_PRODUCT and VERSIONER_STATUS spellings", () => {
    const env = { VERSIONER_PRODUCT: "p", VERSIONER_VERSION: "1", VERSIONER_STATUS: "Building" };
    expect(resolveBuildEvent({}, env, ci(env))).toMatchObject({ product_name: "p", status: "started" });
  });

  it("lets user metadata win over detected vi_* keys", () => {
    const event = resolveBuildEvent(
      { metadata: '{"vi_gitlab_job_name":"mine","docker_image":"x:1"}' },
      gitlab,
      ci(gitlab),
    );
    expect(event.extra_metadata).toMatchObject({ vi_gitlab_job_name: "mine", docker_image: "x:1" });
  });

  it("takes metadata from VERSIONER_METADATA when no input is given, and an object input as is", () => {
    const env = { ...gitlab, VERSIONER_METADATA: '{"a":1}' };
    expect(resolveBuildEvent({}, env, ci(env)).extra_metadata).toMatchObject({ a: 1 });
    expect(resolveBuildEvent({ metadata: { b: 2 } }, env, ci(env)).extra_metadata).not.toHaveProperty("a");
  });

  it.each([
    ["[1,2]", /metadata \(input\) must be a JSON object/],
    ["null", /must be a JSON object/],
    ["{oops", /not valid JSON/],
    [JSON.stringify({ big: "x".repeat(101 * 1024) }), /at most 100 KB/],
  ])("rejects metadata %#", (metadata, message) => {
    expect(() => resolveBuildEvent({ metadata }, gitlab, ci(gitlab))).toThrow(message);
  });

  it("names every missing field", () => {
    const error = (() => {
      try {
        resolveBuildEvent({}, {}, ci({}));
      } catch (caught) {
        return caught;
      }
    })();
    expect(error).toBeInstanceOf(UsageError);
    expect(String(error)).toMatch(/product_name is required.*version is required/);
  });

  it("rejects an unknown status and a bad timestamp", () => {
    expect(() => resolveBuildEvent({ status: "exploded" }, gitlab, ci(gitlab))).toThrow(/status 'exploded'/);
    expect(() => resolveBuildEvent({ started_at: "yesterday" }, gitlab, ci(gitlab))).toThrow(
      /started_at must be an RFC 3339 date-time/,
    );
  });

  it.each([
    ["2026-01-02T03:04:05+02:00", "2026-01-02T01:04:05.000Z"],
    ["2024-02-29T23:59:59.5Z", "2024-02-29T23:59:59.500Z"],
  ])("accepts the timestamp %s and sends it in UTC", (completed_at, sent) => {
    expect(resolveBuildEvent({ completed_at }, gitlab, ci(gitlab)).completed_at).toBe(sent);
  });

  it.each(["2026-02-30T00:00:00Z", "2026-01-02T03:04Z", "2026-01-02 03:04:05Z", "2026-01-02T03:04:05"])(
    "rejects the timestamp %s, naming the field",
    (completed_at) => {
      expect(() => resolveBuildEvent({ completed_at }, gitlab, ci(gitlab))).toThrow(
        /completed_at must be an RFC 3339 date-time/,
      );
    },
  );

  it("leaves field lengths to the collector, which validates every event in full", () => {
    const long = "x".repeat(300);
    expect(resolveBuildEvent({ product_name: long }, gitlab, ci(gitlab)).product_name).toBe(long);
  });

  it("detects from the environment when no context is passed", () => {
    expect(resolveBuildEvent({}, gitlab).source_system).toBe("gitlab");
  });
});

describe("resolveDeploymentEvent", () => {
  it("uses the run URL as deploy_url and the actor as deployer", () => {
    const env = { ...gitlab, VERSIONER_ENVIRONMENT: "staging" };
    const event = resolveDeploymentEvent({ version: "1.2.3" }, env, ci(env));
    expect(event).toMatchObject({
      product_name: "shop-api",
      version: "1.2.3",
      environment_name: "staging",
      status: "completed",
      deploy_url: "https://gitlab.com/acme/shop-api/-/pipelines/345",
      deployed_by: "jdoe",
      deployed_by_email: "jdoe@example.com",
    });
    expect(event).not.toHaveProperty("build_url");
    expect(event).not.toHaveProperty("built_by");
  });

  it("takes the environment from VERSIONER_ENVIRONMENT_NAME, then from the CI", () => {
    const env = { ...gitlab, CI_ENVIRONMENT_NAME: "review/x" };
    expect(resolveDeploymentEvent({}, env, ci(env)).environment_name).toBe("review/x");
    const both = { ...env, VERSIONER_ENVIRONMENT_NAME: "prod" };
    expect(resolveDeploymentEvent({}, both, ci(both)).environment_name).toBe("prod");
    expect(resolveDeploymentEvent({ environment_name: "qa" }, both, ci(both)).environment_name).toBe("qa");
  });

  it("requires an environment", () => {
    expect(() => resolveDeploymentEvent({}, gitlab, ci(gitlab))).toThrow(/environment_name is required/);
  });
});

describe("envNamesFor", () => {
  it("maps a field to VERSIONER_<FIELD> plus aliases", () => {
    expect(envNamesFor("scm_sha")).toEqual(["VERSIONER_SCM_SHA"]);
    expect(envNamesFor("environment_name")).toEqual(["VERSIONER_ENVIRONMENT_NAME", "VERSIONER_ENVIRONMENT"]);
  });
});
