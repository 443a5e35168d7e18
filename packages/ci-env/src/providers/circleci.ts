import { metadataFrom, pick } from "../env-values.ts";
import type { CiFields, Env } from "../types.ts";

/** CircleCI sets `CIRCLECI=true` in every job. */
export function detect(env: Env): boolean {
  return env.CIRCLECI === "true";
}

/** Reads CircleCI's built-in `CIRCLE_*` variables. */
export function read(env: Env): CiFields {
  const owner = pick(env, "CIRCLE_PROJECT_USERNAME");
  const repo = pick(env, "CIRCLE_PROJECT_REPONAME");
  return {
    scm_repository: owner && repo ? `${owner}/${repo}` : repo,
    scm_sha: pick(env, "CIRCLE_SHA1"),
    scm_branch: pick(env, "CIRCLE_BRANCH"),
    build_number: pick(env, "CIRCLE_BUILD_NUM"),
    invoke_id: pick(env, "CIRCLE_WORKFLOW_ID"),
    run_url: pick(env, "CIRCLE_BUILD_URL"),
    actor: pick(env, "CIRCLE_USERNAME"),
    metadata: metadataFrom(env, {
      vi_circleci_workflow_id: "CIRCLE_WORKFLOW_ID",
      vi_circleci_workflow_job_id: "CIRCLE_WORKFLOW_JOB_ID",
      vi_circleci_job: "CIRCLE_JOB",
      vi_circleci_node_index: "CIRCLE_NODE_INDEX",
      vi_circleci_tag: "CIRCLE_TAG",
      vi_circleci_pull_request: "CIRCLE_PULL_REQUEST",
    }),
  };
}
