import { metadataFrom, pick } from "../env-values.ts";
import type { CiFields, Env } from "../types.ts";

/** GitLab CI/CD sets `GITLAB_CI=true` in every job. */
export function detect(env: Env): boolean {
  return env.GITLAB_CI === "true";
}

/** Reads GitLab's predefined `CI_*` and `GITLAB_USER_*` variables. */
export function read(env: Env): CiFields {
  return {
    scm_repository: pick(env, "CI_PROJECT_PATH"),
    scm_sha: pick(env, "CI_COMMIT_SHA"),
    // Merge request pipelines: the source branch is the one that was built.
    scm_branch: pick(env, "CI_MERGE_REQUEST_SOURCE_BRANCH_NAME", "CI_COMMIT_BRANCH", "CI_COMMIT_REF_NAME"),
    scm_committed_at: pick(env, "CI_COMMIT_TIMESTAMP"),
    build_number: pick(env, "CI_PIPELINE_IID", "CI_PIPELINE_ID"),
    invoke_id: pick(env, "CI_PIPELINE_ID"),
    run_url: pick(env, "CI_PIPELINE_URL", "CI_JOB_URL"),
    actor: pick(env, "GITLAB_USER_LOGIN"),
    actor_email: pick(env, "GITLAB_USER_EMAIL"),
    actor_name: pick(env, "GITLAB_USER_NAME"),
    environment_name: pick(env, "CI_ENVIRONMENT_NAME"),
    metadata: metadataFrom(env, {
      vi_gitlab_pipeline_id: "CI_PIPELINE_ID",
      vi_gitlab_pipeline_url: "CI_PIPELINE_URL",
      vi_gitlab_pipeline_source: "CI_PIPELINE_SOURCE",
      vi_gitlab_job_id: "CI_JOB_ID",
      vi_gitlab_job_name: "CI_JOB_NAME",
      vi_gitlab_job_stage: "CI_JOB_STAGE",
      vi_gitlab_job_url: "CI_JOB_URL",
      vi_gitlab_ref_name: "CI_COMMIT_REF_NAME",
      vi_gitlab_tag: "CI_COMMIT_TAG",
      vi_gitlab_merge_request_iid: "CI_MERGE_REQUEST_IID",
      vi_gitlab_environment_url: "CI_ENVIRONMENT_URL",
    }),
  };
}
