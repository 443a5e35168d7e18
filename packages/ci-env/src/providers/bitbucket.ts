import { metadataFrom, pick } from "../env-values.ts";
import type { CiFields, Env } from "../types.ts";

/** Bitbucket Pipelines has no `…=true` marker; `BITBUCKET_BUILD_NUMBER` is set in every step. */
export function detect(env: Env): boolean {
  return Boolean(env.BITBUCKET_BUILD_NUMBER?.trim());
}

/** Reads Bitbucket Pipelines' `BITBUCKET_*` variables (it exposes only the triggerer's UUID, so no actor). */
export function read(env: Env): CiFields {
  const repository = pick(env, "BITBUCKET_REPO_FULL_NAME");
  const buildNumber = pick(env, "BITBUCKET_BUILD_NUMBER");
  return {
    scm_repository: repository,
    scm_sha: pick(env, "BITBUCKET_COMMIT"),
    scm_branch: pick(env, "BITBUCKET_BRANCH"),
    build_number: buildNumber,
    invoke_id: pick(env, "BITBUCKET_PIPELINE_UUID"),
    run_url:
      repository && buildNumber
        ? `https://bitbucket.org/${repository}/pipelines/results/${buildNumber}`
        : undefined,
    environment_name: pick(env, "BITBUCKET_DEPLOYMENT_ENVIRONMENT"),
    metadata: metadataFrom(env, {
      vi_bitbucket_pipeline_uuid: "BITBUCKET_PIPELINE_UUID",
      vi_bitbucket_step_uuid: "BITBUCKET_STEP_UUID",
      vi_bitbucket_workspace: "BITBUCKET_WORKSPACE",
      vi_bitbucket_repo_slug: "BITBUCKET_REPO_SLUG",
      vi_bitbucket_tag: "BITBUCKET_TAG",
      vi_bitbucket_pr_id: "BITBUCKET_PR_ID",
      vi_bitbucket_triggerer_uuid: "BITBUCKET_STEP_TRIGGERER_UUID",
    }),
  };
}
