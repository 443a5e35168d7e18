import { branchFromRef, metadataFrom, pick } from "../env-values.ts";
import { normalizeRepository } from "../repository.ts";
import type { CiFields, Env } from "../types.ts";

/** Jenkins sets `JENKINS_URL` (the controller's URL) in every build. */
export function detect(env: Env): boolean {
  return Boolean(env.JENKINS_URL?.trim());
}

// The Git plugin reports the remote-tracking name (`origin/main`, `refs/remotes/origin/main`).
function branchName(value: string | undefined): string | undefined {
  return branchFromRef(value)
    ?.replace(/^(?:refs\/)?remotes\/[^/]+\//, "")
    .replace(/^origin\//, "");
}

/** Reads the Jenkins core, Git plugin, multibranch (`CHANGE_*`) and Build User Vars (`BUILD_USER*`) variables. */
export function read(env: Env): CiFields {
  return {
    scm_repository: normalizeRepository(pick(env, "GIT_URL", "GIT_URL_1")),
    scm_sha: pick(env, "GIT_COMMIT"),
    scm_branch: branchName(pick(env, "CHANGE_BRANCH", "GIT_LOCAL_BRANCH", "GIT_BRANCH", "BRANCH_NAME")),
    build_number: pick(env, "BUILD_NUMBER"),
    // BUILD_TAG (jenkins-<job>-<n>) is unique across jobs, unlike BUILD_ID which equals the number.
    invoke_id: pick(env, "BUILD_TAG", "BUILD_ID"),
    run_url: pick(env, "BUILD_URL"),
    actor: pick(env, "BUILD_USER_ID", "CHANGE_AUTHOR"),
    actor_email: pick(env, "BUILD_USER_EMAIL", "CHANGE_AUTHOR_EMAIL"),
    actor_name: pick(env, "BUILD_USER", "CHANGE_AUTHOR_DISPLAY_NAME"),
    metadata: metadataFrom(env, {
      vi_jenkins_job_name: "JOB_NAME",
      vi_jenkins_job_url: "JOB_URL",
      vi_jenkins_build_id: "BUILD_ID",
      vi_jenkins_node_name: "NODE_NAME",
      vi_jenkins_executor_number: "EXECUTOR_NUMBER",
      vi_jenkins_change_id: "CHANGE_ID",
      vi_jenkins_change_target: "CHANGE_TARGET",
      vi_jenkins_tag: "TAG_NAME",
    }),
  };
}
