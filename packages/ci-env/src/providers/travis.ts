import { metadataFrom, pick } from "../env-values.ts";
import type { CiFields, Env } from "../types.ts";

/** Travis CI sets `TRAVIS=true` in every job. */
export function detect(env: Env): boolean {
  return env.TRAVIS === "true";
}

/** Reads Travis CI's `TRAVIS_*` variables. */
export function read(env: Env): CiFields {
  const pullRequest = pick(env, "TRAVIS_PULL_REQUEST");
  return {
    scm_repository: pick(env, "TRAVIS_REPO_SLUG"),
    scm_sha: pick(env, "TRAVIS_COMMIT"),
    // On pull requests TRAVIS_BRANCH is the target; the built branch is TRAVIS_PULL_REQUEST_BRANCH.
    // On tag builds TRAVIS_BRANCH holds the tag, which is not a branch.
    scm_branch: pick(env, "TRAVIS_TAG")
      ? undefined
      : pick(env, "TRAVIS_PULL_REQUEST_BRANCH", "TRAVIS_BRANCH"),
    build_number: pick(env, "TRAVIS_BUILD_NUMBER"),
    invoke_id: pick(env, "TRAVIS_BUILD_ID"),
    run_url: pick(env, "TRAVIS_BUILD_WEB_URL", "TRAVIS_JOB_WEB_URL"),
    metadata: {
      ...metadataFrom(env, {
        vi_travis_build_id: "TRAVIS_BUILD_ID",
        vi_travis_job_id: "TRAVIS_JOB_ID",
        vi_travis_job_number: "TRAVIS_JOB_NUMBER",
        vi_travis_job_name: "TRAVIS_JOB_NAME",
        vi_travis_event_type: "TRAVIS_EVENT_TYPE",
        vi_travis_tag: "TRAVIS_TAG",
      }),
      ...(pullRequest && pullRequest !== "false" ? { vi_travis_pull_request: pullRequest } : {}),
    },
  };
}
