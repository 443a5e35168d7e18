import { metadataFrom, pick } from "../env-values.ts";
import { normalizeRepository } from "../repository.ts";
import type { CiFields, Env } from "../types.ts";

/** Buildkite agents set `BUILDKITE=true` in every job. */
export function detect(env: Env): boolean {
  return env.BUILDKITE === "true";
}

/** Reads the Buildkite agent's `BUILDKITE_*` variables. */
export function read(env: Env): CiFields {
  const commit = pick(env, "BUILDKITE_COMMIT");
  const pullRequest = pick(env, "BUILDKITE_PULL_REQUEST");
  return {
    scm_repository: normalizeRepository(pick(env, "BUILDKITE_REPO")),
    // Builds triggered without a commit carry the literal `HEAD` until checkout resolves it.
    scm_sha: commit && commit !== "HEAD" ? commit : undefined,
    scm_branch: pick(env, "BUILDKITE_BRANCH"),
    build_number: pick(env, "BUILDKITE_BUILD_NUMBER"),
    invoke_id: pick(env, "BUILDKITE_BUILD_ID"),
    run_url: pick(env, "BUILDKITE_BUILD_URL"),
    actor: pick(env, "BUILDKITE_BUILD_CREATOR"),
    actor_email: pick(env, "BUILDKITE_BUILD_CREATOR_EMAIL"),
    actor_name: pick(env, "BUILDKITE_BUILD_CREATOR"),
    metadata: {
      ...metadataFrom(env, {
        vi_buildkite_organization_slug: "BUILDKITE_ORGANIZATION_SLUG",
        vi_buildkite_pipeline_slug: "BUILDKITE_PIPELINE_SLUG",
        vi_buildkite_job_id: "BUILDKITE_JOB_ID",
        vi_buildkite_step_key: "BUILDKITE_STEP_KEY",
        vi_buildkite_label: "BUILDKITE_LABEL",
        vi_buildkite_source: "BUILDKITE_SOURCE",
        vi_buildkite_retry_count: "BUILDKITE_RETRY_COUNT",
        vi_buildkite_tag: "BUILDKITE_TAG",
      }),
      ...(pullRequest && pullRequest !== "false" ? { vi_buildkite_pull_request: pullRequest } : {}),
    },
  };
}
