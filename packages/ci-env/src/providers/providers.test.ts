import { describe, expect, it } from "vitest";
import * as azure from "./azure.ts";
import * as bitbucket from "./bitbucket.ts";
import * as buildkite from "./buildkite.ts";
import * as circleci from "./circleci.ts";
import * as generic from "./generic.ts";
import * as github from "./github.ts";
import * as gitlab from "./gitlab.ts";
import * as jenkins from "./jenkins.ts";
import * as travis from "./travis.ts";

// Each provider read directly: which variable feeds which field, the fallbacks, and every `vi_*` key.
// The tables are written out by hand on purpose: they are the documented mapping.

describe("metadata: every vi_* key comes from its documented variable", () => {
  const cases: Array<[string, { read: typeof generic.read }, Record<string, string>]> = [
    [
      "azure",
      azure,
      {
        vi_azure_build_id: "BUILD_BUILDID",
        vi_azure_definition_name: "BUILD_DEFINITIONNAME",
        vi_azure_team_project: "SYSTEM_TEAMPROJECT",
        vi_azure_stage_name: "SYSTEM_STAGENAME",
        vi_azure_job_name: "SYSTEM_JOBDISPLAYNAME",
        vi_azure_agent_name: "AGENT_NAME",
        vi_azure_reason: "BUILD_REASON",
        vi_azure_pull_request_id: "SYSTEM_PULLREQUEST_PULLREQUESTID",
      },
    ],
    [
      "bitbucket",
      bitbucket,
      {
        vi_bitbucket_pipeline_uuid: "BITBUCKET_PIPELINE_UUID",
        vi_bitbucket_step_uuid: "BITBUCKET_STEP_UUID",
        vi_bitbucket_workspace: "BITBUCKET_WORKSPACE",
        vi_bitbucket_repo_slug: "BITBUCKET_REPO_SLUG",
        vi_bitbucket_tag: "BITBUCKET_TAG",
        vi_bitbucket_pr_id: "BITBUCKET_PR_ID",
        vi_bitbucket_triggerer_uuid: "BITBUCKET_STEP_TRIGGERER_UUID",
      },
    ],
    [
      "buildkite",
      buildkite,
      {
        vi_buildkite_organization_slug: "BUILDKITE_ORGANIZATION_SLUG",
        vi_buildkite_pipeline_slug: "BUILDKITE_PIPELINE_SLUG",
        vi_buildkite_job_id: "BUILDKITE_JOB_ID",
        vi_buildkite_step_key: "BUILDKITE_STEP_KEY",
        vi_buildkite_label: "BUILDKITE_LABEL",
        vi_buildkite_source: "BUILDKITE_SOURCE",
        vi_buildkite_retry_count: "BUILDKITE_RETRY_COUNT",
        vi_buildkite_tag: "BUILDKITE_TAG",
        vi_buildkite_pull_request: "BUILDKITE_PULL_REQUEST",
      },
    ],
    [
      "circleci",
      circleci,
      {
        vi_circleci_workflow_id: "CIRCLE_WORKFLOW_ID",
        vi_circleci_workflow_job_id: "CIRCLE_WORKFLOW_JOB_ID",
        vi_circleci_job: "CIRCLE_JOB",
        vi_circleci_node_index: "CIRCLE_NODE_INDEX",
        vi_circleci_tag: "CIRCLE_TAG",
        vi_circleci_pull_request: "CIRCLE_PULL_REQUEST",
      },
    ],
    [
      "github",
      github,
      {
        vi_gh_workflow: "GITHUB_WORKFLOW",
        vi_gh_job: "GITHUB_JOB",
        vi_gh_run_attempt: "GITHUB_RUN_ATTEMPT",
        vi_gh_event_name: "GITHUB_EVENT_NAME",
        vi_gh_ref: "GITHUB_REF",
        vi_gh_head_ref: "GITHUB_HEAD_REF",
        vi_gh_base_ref: "GITHUB_BASE_REF",
      },
    ],
    [
      "gitlab",
      gitlab,
      {
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
      },
    ],
    [
      "jenkins",
      jenkins,
      {
        vi_jenkins_job_name: "JOB_NAME",
        vi_jenkins_job_url: "JOB_URL",
        vi_jenkins_build_id: "BUILD_ID",
        vi_jenkins_node_name: "NODE_NAME",
        vi_jenkins_executor_number: "EXECUTOR_NUMBER",
        vi_jenkins_change_id: "CHANGE_ID",
        vi_jenkins_change_target: "CHANGE_TARGET",
        vi_jenkins_tag: "TAG_NAME",
      },
    ],
    [
      "travis",
      travis,
      {
        vi_travis_build_id: "TRAVIS_BUILD_ID",
        vi_travis_job_id: "TRAVIS_JOB_ID",
        vi_travis_job_number: "TRAVIS_JOB_NUMBER",
        vi_travis_job_name: "TRAVIS_JOB_NAME",
        vi_travis_event_type: "TRAVIS_EVENT_TYPE",
        vi_travis_tag: "TRAVIS_TAG",
        vi_travis_pull_request: "TRAVIS_PULL_REQUEST",
      },
    ],
  ];

  it.each(cases)("%s", (_name, provider, keys) => {
    // Each variable holds its own name, so a key read from the wrong variable shows.
    const env = Object.fromEntries(Object.values(keys).map((name) => [name, ` ${name} `]));
    const expected = Object.fromEntries(Object.entries(keys).map(([key, name]) => [key, name]));
    expect(provider.read(env).metadata).toEqual(expected);
  });
});

describe("detection", () => {
  it("ignores a blank marker variable", () => {
    expect(jenkins.detect({ JENKINS_URL: "  " })).toBe(false);
    expect(jenkins.detect({ JENKINS_URL: "http://j/" })).toBe(true);
    expect(bitbucket.detect({ BITBUCKET_BUILD_NUMBER: " " })).toBe(false);
    expect(bitbucket.detect({ BITBUCKET_BUILD_NUMBER: "3" })).toBe(true);
  });

  it("the generic provider matches any environment and reads nothing from it", () => {
    expect(generic.detect({})).toBe(true);
    expect(generic.read({ BUILD_NUMBER: "1" })).toEqual({ metadata: {} });
  });
});

describe("jenkins branches", () => {
  const branch = (env: Record<string, string>) => jenkins.read(env).scm_branch;

  it("has no branch when no variable names one", () => {
    expect(branch({})).toBeUndefined();
  });

  it("strips a remote-tracking prefix only at the start", () => {
    expect(branch({ GIT_BRANCH: "remotes/upstream/main" })).toBe("main");
    expect(branch({ GIT_BRANCH: "refs/remotes/upstream/main" })).toBe("main");
    expect(branch({ GIT_BRANCH: "team/remotes/upstream/main" })).toBe("team/remotes/upstream/main");
    expect(branch({ GIT_BRANCH: "feature/origin/x" })).toBe("feature/origin/x");
  });

  it("prefers CHANGE_BRANCH, then GIT_LOCAL_BRANCH, GIT_BRANCH, BRANCH_NAME", () => {
    const all = { CHANGE_BRANCH: "a", GIT_LOCAL_BRANCH: "b", GIT_BRANCH: "origin/c", BRANCH_NAME: "d" };
    expect(branch(all)).toBe("a");
    expect(branch({ ...all, CHANGE_BRANCH: "" })).toBe("b");
    expect(branch({ ...all, CHANGE_BRANCH: "", GIT_LOCAL_BRANCH: "" })).toBe("c");
    expect(branch({ BRANCH_NAME: "d" })).toBe("d");
  });

  it("reads the repository from GIT_URL_1 when GIT_URL is missing", () => {
    expect(jenkins.read({ GIT_URL_1: "https://github.com/acme/x.git" }).scm_repository).toBe("acme/x");
  });

  it("takes the actor from the Build User Vars first, then from the change author", () => {
    const change = { CHANGE_AUTHOR: "c", CHANGE_AUTHOR_EMAIL: "c@x", CHANGE_AUTHOR_DISPLAY_NAME: "C" };
    expect(jenkins.read(change)).toMatchObject({ actor: "c", actor_email: "c@x", actor_name: "C" });
    const user = { BUILD_USER_ID: "u", BUILD_USER_EMAIL: "u@x", BUILD_USER: "U" };
    expect(jenkins.read({ ...change, ...user })).toMatchObject({
      actor: "u",
      actor_email: "u@x",
      actor_name: "U",
    });
  });
});

describe("github", () => {
  const payload = (value: unknown) => ({ readFile: () => JSON.stringify(value) });
  const base = { GITHUB_EVENT_PATH: "/event.json" };

  it("reads no payload without GITHUB_EVENT_PATH", () => {
    const fields = github.read({}, payload({ head_commit: { author: { email: "a@x", name: "A" } } }));
    expect(fields.actor_email).toBeUndefined();
  });

  it("survives a payload that is null, a number, or has an empty commit list", () => {
    expect(github.read(base, payload(null)).actor_email).toBeUndefined();
    expect(github.read(base, payload(42)).actor_email).toBeUndefined();
    expect(github.read(base, payload({ commits: [] })).actor_email).toBeUndefined();
  });

  it("trims author fields and treats blank ones as missing", () => {
    const fields = github.read(base, payload({ commits: [{ author: { email: " a@x ", name: "  " } }] }));
    expect(fields.actor_email).toBe("a@x");
    expect(fields.actor_name).toBeUndefined();
  });

  it("builds the run URL from a server URL given with trailing slashes", () => {
    const env = {
      GITHUB_SERVER_URL: "https://ghe.example.com//",
      GITHUB_REPOSITORY: "a/b",
      GITHUB_RUN_ID: "9",
    };
    expect(github.read(env).run_url).toBe("https://ghe.example.com/a/b/actions/runs/9");
  });

  it("falls back to GITHUB_REF_NAME for the branch", () => {
    expect(github.read({ GITHUB_REF_NAME: "v1.2" }).scm_branch).toBe("v1.2");
  });
});

describe("azure", () => {
  const full = {
    BUILD_REPOSITORY_NAME: "app",
    SYSTEM_TEAMPROJECT: "Team A",
    BUILD_BUILDID: "77",
    SYSTEM_TEAMFOUNDATIONCOLLECTIONURI: "https://dev.azure.com/org//",
  };

  it("builds the run URL from the older collection variable, without doubled slashes", () => {
    expect(azure.read(full).run_url).toBe("https://dev.azure.com/org/Team%20A/_build/results?buildId=77");
  });

  it.each(["SYSTEM_TEAMFOUNDATIONCOLLECTIONURI", "SYSTEM_TEAMPROJECT", "BUILD_BUILDID"])(
    "builds no run URL without %s",
    (name) => {
      expect(azure.read({ ...full, [name]: "" }).run_url).toBeUndefined();
    },
  );

  it("reads the source branch of a pull request, not the merge ref", () => {
    const env = {
      SYSTEM_PULLREQUEST_SOURCEBRANCH: "refs/heads/feature/pr",
      BUILD_SOURCEBRANCH: "refs/pull/4/merge",
    };
    expect(azure.read(env).scm_branch).toBe("feature/pr");
  });

  it("reads the branch from BUILD_SOURCEBRANCH outside pull requests", () => {
    expect(azure.read({ BUILD_SOURCEBRANCH: "refs/heads/feature/x" }).scm_branch).toBe("feature/x");
  });
});

describe("other providers' fallbacks", () => {
  it("bitbucket builds a run URL only from both the repository and the build number", () => {
    expect(bitbucket.read({ BITBUCKET_REPO_FULL_NAME: "a/b" }).run_url).toBeUndefined();
    expect(bitbucket.read({ BITBUCKET_BUILD_NUMBER: "4" }).run_url).toBeUndefined();
  });

  it("circleci names the repository by its bare name without the owner", () => {
    expect(circleci.read({ CIRCLE_PROJECT_REPONAME: "web" }).scm_repository).toBe("web");
    expect(circleci.read({ CIRCLE_PROJECT_USERNAME: "acme" }).scm_repository).toBeUndefined();
  });

  it("gitlab falls back from the merge request branch to the commit branch and the ref name", () => {
    const mr = {
      CI_MERGE_REQUEST_SOURCE_BRANCH_NAME: "feat",
      CI_COMMIT_REF_NAME: "refs/merge-requests/3/head",
    };
    expect(gitlab.read(mr).scm_branch).toBe("feat");
    expect(gitlab.read({ CI_COMMIT_BRANCH: "main", CI_COMMIT_REF_NAME: "x" }).scm_branch).toBe("main");
    expect(gitlab.read({ CI_COMMIT_REF_NAME: "x" }).scm_branch).toBe("x");
  });

  it("travis takes the built branch of a pull request, and the job URL when there is no build URL", () => {
    expect(travis.read({ TRAVIS_PULL_REQUEST_BRANCH: "feat", TRAVIS_BRANCH: "main" }).scm_branch).toBe(
      "feat",
    );
    expect(travis.read({ TRAVIS_BRANCH: "main" }).scm_branch).toBe("main");
    expect(travis.read({ TRAVIS_JOB_WEB_URL: "https://travis/j/1" }).run_url).toBe("https://travis/j/1");
  });
});
