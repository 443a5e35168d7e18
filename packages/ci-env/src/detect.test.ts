import { describe, expect, it } from "vitest";
import { detectCi } from "./detect.ts";
import { runGit } from "./git.ts";
import type { CiContext, Env } from "./types.ts";

const SHA = "0123456789abcdef0123456789abcdef01234567";

interface Case {
  name: string;
  env: Env;
  files?: Record<string, string>;
  expected: CiContext;
}

const cases: Case[] = [
  {
    name: "GitHub Actions push with event payload",
    env: {
      GITHUB_ACTIONS: "true",
      GITHUB_REPOSITORY: "acme/shop-api",
      GITHUB_SHA: SHA,
      GITHUB_REF: "refs/heads/feature/login",
      GITHUB_REF_NAME: "feature/login",
      GITHUB_RUN_NUMBER: "42",
      GITHUB_RUN_ID: "9876543210",
      GITHUB_RUN_ATTEMPT: "2",
      GITHUB_SERVER_URL: "https://github.example.com",
      GITHUB_ACTOR: "octocat",
      GITHUB_WORKFLOW: "CI",
      GITHUB_JOB: "build",
      GITHUB_EVENT_NAME: "push",
      GITHUB_HEAD_REF: "",
      GITHUB_EVENT_PATH: "/tmp/event.json",
    },
    files: {
      "/tmp/event.json": JSON.stringify({
        head_commit: {
          author: { email: "octo@example.com", name: "Octo Cat" },
          timestamp: "2026-01-02T03:04:05+01:00",
        },
      }),
    },
    expected: {
      provider: "github",
      source_system: "github",
      scm_repository: "acme/shop-api",
      scm_sha: SHA,
      scm_branch: "feature/login",
      scm_committed_at: "2026-01-02T03:04:05+01:00",
      build_number: "42",
      invoke_id: "9876543210",
      run_url: "https://github.example.com/acme/shop-api/actions/runs/9876543210",
      actor: "octocat",
      actor_email: "octo@example.com",
      actor_name: "Octo Cat",
      metadata: {
        vi_gh_workflow: "CI",
        vi_gh_job: "build",
        vi_gh_run_attempt: "2",
        vi_gh_event_name: "push",
        vi_gh_ref: "refs/heads/feature/login",
      },
    },
  },
  {
    name: "GitHub Actions pull request, author from commits[0], default server",
    env: {
      GITHUB_ACTIONS: "true",
      GITHUB_REPOSITORY: "acme/web",
      GITHUB_SHA: SHA,
      GITHUB_REF: "refs/pull/7/merge",
      GITHUB_HEAD_REF: "fix/typo",
      GITHUB_BASE_REF: "main",
      GITHUB_RUN_ID: "1",
      GITHUB_EVENT_PATH: "/tmp/pr.json",
    },
    files: { "/tmp/pr.json": JSON.stringify({ commits: [{ author: { email: "a@b.c", name: "A B" } }] }) },
    expected: {
      provider: "github",
      source_system: "github",
      scm_repository: "acme/web",
      scm_sha: SHA,
      scm_branch: "fix/typo",
      invoke_id: "1",
      run_url: "https://github.com/acme/web/actions/runs/1",
      actor_email: "a@b.c",
      actor_name: "A B",
      metadata: { vi_gh_ref: "refs/pull/7/merge", vi_gh_head_ref: "fix/typo", vi_gh_base_ref: "main" },
    },
  },
  {
    name: "GitHub Actions with a garbled event payload",
    env: { GITHUB_ACTIONS: "true", GITHUB_REF: "refs/tags/v1.2.0", GITHUB_EVENT_PATH: "/tmp/garbled.json" },
    files: { "/tmp/garbled.json": "{not json" },
    expected: {
      provider: "github",
      source_system: "github",
      scm_branch: "refs/tags/v1.2.0",
      metadata: { vi_gh_ref: "refs/tags/v1.2.0" },
    },
  },
  {
    name: "GitHub Actions with a missing event payload",
    env: { GITHUB_ACTIONS: "true", GITHUB_EVENT_PATH: "/nonexistent/event.json", GITHUB_ACTOR: "bot" },
    expected: { provider: "github", source_system: "github", actor: "bot", metadata: {} },
  },
  {
    name: "GitLab CI in a deployment job",
    env: {
      GITLAB_CI: "true",
      CI_PROJECT_PATH: "platform/team/billing",
      CI_COMMIT_SHA: SHA,
      CI_COMMIT_REF_NAME: "main",
      CI_COMMIT_BRANCH: "main",
      CI_COMMIT_TIMESTAMP: "2026-03-04T05:06:07+00:00",
      CI_PIPELINE_IID: "12",
      CI_PIPELINE_ID: "345678",
      CI_PIPELINE_URL: "https://gitlab.example.com/platform/team/billing/-/pipelines/345678",
      CI_PIPELINE_SOURCE: "push",
      CI_JOB_ID: "999",
      CI_JOB_NAME: "deploy-prod",
      CI_JOB_STAGE: "deploy",
      CI_JOB_URL: "https://gitlab.example.com/platform/team/billing/-/jobs/999",
      GITLAB_USER_LOGIN: "jdoe",
      GITLAB_USER_EMAIL: "jdoe@example.com",
      GITLAB_USER_NAME: "Jane Doe",
      CI_ENVIRONMENT_NAME: "production",
    },
    expected: {
      provider: "gitlab",
      source_system: "gitlab",
      scm_repository: "platform/team/billing",
      scm_sha: SHA,
      scm_branch: "main",
      scm_committed_at: "2026-03-04T05:06:07+00:00",
      build_number: "12",
      invoke_id: "345678",
      run_url: "https://gitlab.example.com/platform/team/billing/-/pipelines/345678",
      actor: "jdoe",
      actor_email: "jdoe@example.com",
      actor_name: "Jane Doe",
      environment_name: "production",
      metadata: {
        vi_gitlab_pipeline_id: "345678",
        vi_gitlab_pipeline_url: "https://gitlab.example.com/platform/team/billing/-/pipelines/345678",
        vi_gitlab_pipeline_source: "push",
        vi_gitlab_job_id: "999",
        vi_gitlab_job_name: "deploy-prod",
        vi_gitlab_job_stage: "deploy",
        vi_gitlab_job_url: "https://gitlab.example.com/platform/team/billing/-/jobs/999",
        vi_gitlab_ref_name: "main",
      },
    },
  },
  {
    name: "GitLab CI tag pipeline without IID falls back to the pipeline id",
    env: {
      GITLAB_CI: "true",
      CI_PROJECT_PATH: "g/app",
      CI_COMMIT_REF_NAME: "v2.0.0",
      CI_COMMIT_TAG: "v2.0.0",
      CI_PIPELINE_ID: "5",
      CI_JOB_URL: "https://gitlab.com/g/app/-/jobs/1",
    },
    expected: {
      provider: "gitlab",
      source_system: "gitlab",
      scm_repository: "g/app",
      scm_branch: "v2.0.0",
      build_number: "5",
      invoke_id: "5",
      run_url: "https://gitlab.com/g/app/-/jobs/1",
      metadata: {
        vi_gitlab_pipeline_id: "5",
        vi_gitlab_job_url: "https://gitlab.com/g/app/-/jobs/1",
        vi_gitlab_ref_name: "v2.0.0",
        vi_gitlab_tag: "v2.0.0",
      },
    },
  },
  {
    name: "Jenkins with an https GIT_URL and origin/ branch",
    env: {
      JENKINS_URL: "https://ci.example.com/",
      GIT_URL: "https://github.com/acme/payments.git",
      GIT_COMMIT: SHA,
      GIT_BRANCH: "origin/main",
      BUILD_NUMBER: "101",
      BUILD_ID: "101",
      BUILD_TAG: "jenkins-payments-101",
      BUILD_URL: "https://ci.example.com/job/payments/101/",
      JOB_NAME: "payments",
      NODE_NAME: "agent-1",
      EXECUTOR_NUMBER: "0",
      BUILD_USER_ID: "jdoe",
      BUILD_USER: "Jane Doe",
      BUILD_USER_EMAIL: "jdoe@example.com",
    },
    expected: {
      provider: "jenkins",
      source_system: "jenkins",
      scm_repository: "acme/payments",
      scm_sha: SHA,
      scm_branch: "main",
      build_number: "101",
      invoke_id: "jenkins-payments-101",
      run_url: "https://ci.example.com/job/payments/101/",
      actor: "jdoe",
      actor_email: "jdoe@example.com",
      actor_name: "Jane Doe",
      metadata: {
        vi_jenkins_job_name: "payments",
        vi_jenkins_build_id: "101",
        vi_jenkins_node_name: "agent-1",
        vi_jenkins_executor_number: "0",
      },
    },
  },
  {
    name: "Jenkins with an scp-style GIT_URL and a remotes ref",
    env: {
      JENKINS_URL: "http://jenkins:8080/",
      GIT_URL: "git@gitlab.example.com:platform/tools/deployer.git",
      GIT_BRANCH: "refs/remotes/origin/release/1.x",
      BUILD_NUMBER: "7",
      BUILD_ID: "7",
    },
    expected: {
      provider: "jenkins",
      source_system: "jenkins",
      scm_repository: "platform/tools/deployer",
      scm_branch: "release/1.x",
      build_number: "7",
      invoke_id: "7",
      metadata: { vi_jenkins_build_id: "7" },
    },
  },
  {
    name: "Jenkins multibranch pull request: CHANGE_BRANCH and CHANGE_AUTHOR* without the Build User Vars",
    env: {
      JENKINS_URL: "https://ci.example.com/",
      GIT_URL_1: "https://github.com/acme/payments.git",
      GIT_COMMIT: SHA,
      BRANCH_NAME: "PR-12",
      CHANGE_BRANCH: "feature/login",
      CHANGE_ID: "12",
      CHANGE_TARGET: "main",
      CHANGE_AUTHOR: "octocat",
      CHANGE_AUTHOR_EMAIL: "octocat@example.com",
      CHANGE_AUTHOR_DISPLAY_NAME: "The Octocat",
      BUILD_NUMBER: "3",
      BUILD_ID: "3",
      JOB_URL: "https://ci.example.com/job/payments/job/PR-12/",
      TAG_NAME: "v1.0.0",
    },
    expected: {
      provider: "jenkins",
      source_system: "jenkins",
      scm_repository: "acme/payments",
      scm_sha: SHA,
      scm_branch: "feature/login",
      build_number: "3",
      invoke_id: "3",
      actor: "octocat",
      actor_email: "octocat@example.com",
      actor_name: "The Octocat",
      metadata: {
        vi_jenkins_build_id: "3",
        vi_jenkins_job_url: "https://ci.example.com/job/payments/job/PR-12/",
        vi_jenkins_change_id: "12",
        vi_jenkins_change_target: "main",
        vi_jenkins_tag: "v1.0.0",
      },
    },
  },
  {
    name: "Jenkins multibranch branch build: BRANCH_NAME when the Git plugin sets no branch",
    env: { JENKINS_URL: "https://ci.example.com/", BRANCH_NAME: "develop" },
    expected: {
      provider: "jenkins",
      source_system: "jenkins",
      scm_branch: "develop",
      metadata: {},
    },
  },
  {
    name: "Jenkins: GIT_LOCAL_BRANCH wins over the remote-tracking GIT_BRANCH",
    env: {
      JENKINS_URL: "https://ci.example.com/",
      GIT_LOCAL_BRANCH: "hotfix",
      GIT_BRANCH: "origin/main",
      BRANCH_NAME: "other",
    },
    expected: { provider: "jenkins", source_system: "jenkins", scm_branch: "hotfix", metadata: {} },
  },
  {
    name: "Jenkins: a branch named like a remote-tracking ref loses only the origin/ prefix",
    env: { JENKINS_URL: "https://ci.example.com/", GIT_BRANCH: "refs/heads/origin-tools/x" },
    expected: { provider: "jenkins", source_system: "jenkins", scm_branch: "origin-tools/x", metadata: {} },
  },
  {
    name: "GitHub Actions without GITHUB_REPOSITORY: no run URL is built from a missing part",
    env: { GITHUB_ACTIONS: "true", GITHUB_RUN_ID: "55" },
    expected: { provider: "github", source_system: "github", invoke_id: "55", metadata: {} },
  },
  {
    name: "GitHub Actions without GITHUB_RUN_ID: no run URL either",
    env: { GITHUB_ACTIONS: "true", GITHUB_REPOSITORY: "acme/web" },
    expected: { provider: "github", source_system: "github", scm_repository: "acme/web", metadata: {} },
  },
  {
    name: "CircleCI",
    env: {
      CIRCLECI: "true",
      CI: "true",
      CIRCLE_PROJECT_USERNAME: "acme",
      CIRCLE_PROJECT_REPONAME: "mobile",
      CIRCLE_SHA1: SHA,
      CIRCLE_BRANCH: "develop",
      CIRCLE_BUILD_NUM: "88",
      CIRCLE_BUILD_URL: "https://circleci.com/gh/acme/mobile/88",
      CIRCLE_WORKFLOW_ID: "wf-uuid",
      CIRCLE_WORKFLOW_JOB_ID: "job-uuid",
      CIRCLE_JOB: "build",
      CIRCLE_NODE_INDEX: "0",
      CIRCLE_USERNAME: "ci-user",
    },
    expected: {
      provider: "circleci",
      source_system: "circleci",
      scm_repository: "acme/mobile",
      scm_sha: SHA,
      scm_branch: "develop",
      build_number: "88",
      invoke_id: "wf-uuid",
      run_url: "https://circleci.com/gh/acme/mobile/88",
      actor: "ci-user",
      metadata: {
        vi_circleci_workflow_id: "wf-uuid",
        vi_circleci_workflow_job_id: "job-uuid",
        vi_circleci_job: "build",
        vi_circleci_node_index: "0",
      },
    },
  },
  {
    name: "Bitbucket Pipelines deployment step",
    env: {
      BITBUCKET_BUILD_NUMBER: "314",
      BITBUCKET_REPO_FULL_NAME: "acme/inventory",
      BITBUCKET_REPO_SLUG: "inventory",
      BITBUCKET_WORKSPACE: "acme",
      BITBUCKET_COMMIT: SHA,
      BITBUCKET_BRANCH: "main",
      BITBUCKET_PIPELINE_UUID: "{pipe-uuid}",
      BITBUCKET_STEP_UUID: "{step-uuid}",
      BITBUCKET_DEPLOYMENT_ENVIRONMENT: "staging",
    },
    expected: {
      provider: "bitbucket",
      source_system: "bitbucket",
      scm_repository: "acme/inventory",
      scm_sha: SHA,
      scm_branch: "main",
      build_number: "314",
      invoke_id: "{pipe-uuid}",
      run_url: "https://bitbucket.org/acme/inventory/pipelines/results/314",
      environment_name: "staging",
      metadata: {
        vi_bitbucket_pipeline_uuid: "{pipe-uuid}",
        vi_bitbucket_step_uuid: "{step-uuid}",
        vi_bitbucket_workspace: "acme",
        vi_bitbucket_repo_slug: "inventory",
      },
    },
  },
  {
    name: "Azure Pipelines with an Azure Repos repository",
    env: {
      TF_BUILD: "True",
      BUILD_REPOSITORY_NAME: "orders",
      BUILD_REPOSITORY_PROVIDER: "TfsGit",
      SYSTEM_TEAMPROJECT: "Retail Platform",
      SYSTEM_COLLECTIONURI: "https://dev.azure.com/contoso/",
      BUILD_SOURCEVERSION: SHA,
      BUILD_SOURCEBRANCH: "refs/heads/feature/cart",
      BUILD_SOURCEBRANCHNAME: "cart",
      BUILD_BUILDNUMBER: "20260102.3",
      BUILD_BUILDID: "4567",
      BUILD_DEFINITIONNAME: "orders-ci",
      BUILD_REQUESTEDFOR: "Jane Doe",
      BUILD_REQUESTEDFOREMAIL: "jane@contoso.com",
      BUILD_REASON: "IndividualCI",
      AGENT_NAME: "Hosted Agent",
      ENVIRONMENT_NAME: "prod",
    },
    expected: {
      provider: "azure",
      source_system: "azure-devops",
      scm_repository: "Retail Platform/orders",
      scm_sha: SHA,
      scm_branch: "feature/cart",
      build_number: "20260102.3",
      invoke_id: "4567",
      run_url: "https://dev.azure.com/contoso/Retail%20Platform/_build/results?buildId=4567",
      actor: "Jane Doe",
      actor_email: "jane@contoso.com",
      actor_name: "Jane Doe",
      environment_name: "prod",
      metadata: {
        vi_azure_build_id: "4567",
        vi_azure_definition_name: "orders-ci",
        vi_azure_team_project: "Retail Platform",
        vi_azure_agent_name: "Hosted Agent",
        vi_azure_reason: "IndividualCI",
      },
    },
  },
  {
    name: "Azure Pipelines building a GitHub repository",
    env: { TF_BUILD: "True", BUILD_REPOSITORY_NAME: "acme/site", SYSTEM_TEAMPROJECT: "web" },
    expected: {
      provider: "azure",
      source_system: "azure-devops",
      scm_repository: "acme/site",
      metadata: { vi_azure_team_project: "web" },
    },
  },
  {
    name: "Travis CI pull request",
    env: {
      TRAVIS: "true",
      TRAVIS_REPO_SLUG: "acme/lib",
      TRAVIS_COMMIT: SHA,
      TRAVIS_BRANCH: "main",
      TRAVIS_PULL_REQUEST: "17",
      TRAVIS_PULL_REQUEST_BRANCH: "feature/x",
      TRAVIS_BUILD_NUMBER: "55",
      TRAVIS_BUILD_ID: "55555",
      TRAVIS_JOB_ID: "66666",
      TRAVIS_JOB_NUMBER: "55.1",
      TRAVIS_EVENT_TYPE: "pull_request",
      TRAVIS_BUILD_WEB_URL: "https://app.travis-ci.com/acme/lib/builds/55555",
    },
    expected: {
      provider: "travis",
      source_system: "travis",
      scm_repository: "acme/lib",
      scm_sha: SHA,
      scm_branch: "feature/x",
      build_number: "55",
      invoke_id: "55555",
      run_url: "https://app.travis-ci.com/acme/lib/builds/55555",
      metadata: {
        vi_travis_build_id: "55555",
        vi_travis_job_id: "66666",
        vi_travis_job_number: "55.1",
        vi_travis_event_type: "pull_request",
        vi_travis_pull_request: "17",
      },
    },
  },
  {
    name: "Travis CI tag build has no branch",
    env: { TRAVIS: "true", TRAVIS_BRANCH: "v1.0.0", TRAVIS_TAG: "v1.0.0", TRAVIS_PULL_REQUEST: "false" },
    expected: { provider: "travis", source_system: "travis", metadata: { vi_travis_tag: "v1.0.0" } },
  },
  {
    name: "Buildkite",
    env: {
      BUILDKITE: "true",
      BUILDKITE_REPO: "git@github.com:acme/infra.git",
      BUILDKITE_COMMIT: SHA,
      BUILDKITE_BRANCH: "main",
      BUILDKITE_BUILD_NUMBER: "1024",
      BUILDKITE_BUILD_ID: "bk-uuid",
      BUILDKITE_BUILD_URL: "https://buildkite.com/acme/infra/builds/1024",
      BUILDKITE_BUILD_CREATOR: "Jane Doe",
      BUILDKITE_BUILD_CREATOR_EMAIL: "jane@acme.io",
      BUILDKITE_ORGANIZATION_SLUG: "acme",
      BUILDKITE_PIPELINE_SLUG: "infra",
      BUILDKITE_JOB_ID: "job-1",
      BUILDKITE_PULL_REQUEST: "false",
    },
    expected: {
      provider: "buildkite",
      source_system: "buildkite",
      scm_repository: "acme/infra",
      scm_sha: SHA,
      scm_branch: "main",
      build_number: "1024",
      invoke_id: "bk-uuid",
      run_url: "https://buildkite.com/acme/infra/builds/1024",
      actor: "Jane Doe",
      actor_email: "jane@acme.io",
      actor_name: "Jane Doe",
      metadata: {
        vi_buildkite_organization_slug: "acme",
        vi_buildkite_pipeline_slug: "infra",
        vi_buildkite_job_id: "job-1",
      },
    },
  },
  {
    name: "Buildkite with an unresolved HEAD commit",
    env: { BUILDKITE: "true", BUILDKITE_COMMIT: "HEAD", BUILDKITE_PULL_REQUEST: "12" },
    expected: {
      provider: "buildkite",
      source_system: "buildkite",
      metadata: { vi_buildkite_pull_request: "12" },
    },
  },
  {
    name: "no CI at all",
    env: { HOME: "/home/me", PATH: "/usr/bin" },
    expected: { provider: "generic", source_system: "generic", metadata: {} },
  },
];

describe("detectCi", () => {
  it.each(cases)("$name", ({ env, files, expected }) => {
    const readFile = (path: string): string => {
      const content = files?.[path];
      if (content === undefined) throw new Error(`ENOENT: ${path}`);
      return content;
    };
    expect(detectCi(env, { readFile })).toEqual(expected);
  });

  it("prefers a CI with a true marker over a leaked JENKINS_URL", () => {
    expect(detectCi({ JENKINS_URL: "http://j/", GITLAB_CI: "true" }).provider).toBe("gitlab");
  });

  it("does not call git unless asked, even inside a repository", () => {
    const context = detectCi({}, { cwd: import.meta.dirname });
    expect(context).toEqual({ provider: "generic", source_system: "generic", metadata: {} });
  });

  it("fills the commit time from git for the detected SHA when the CI does not tell", () => {
    const calls: string[][] = [];
    const context = detectCi(
      { CIRCLECI: "true", CIRCLE_SHA1: SHA },
      {
        git: (args) => {
          calls.push([...args]);
          return "2026-05-06T07:08:09+02:00";
        },
      },
    );
    expect(context.scm_committed_at).toBe("2026-05-06T07:08:09+02:00");
    expect(calls).toEqual([["log", "-1", "--format=%cI", SHA]]);
  });

  it("keeps the CI's commit time over git's", () => {
    const context = detectCi(
      { GITLAB_CI: "true", CI_COMMIT_TIMESTAMP: "2026-01-01T00:00:00Z" },
      { git: () => "2000-01-01T00:00:00Z" },
    );
    expect(context.scm_committed_at).toBe("2026-01-01T00:00:00Z");
  });

  it("reads sha, branch and repository from git for the generic provider", () => {
    const answers: Record<string, string> = {
      "rev-parse HEAD": SHA,
      "rev-parse --abbrev-ref HEAD": "main",
      "config --get remote.origin.url": "https://user:secret@git.example.com/acme/tool.git",
      [`log -1 --format=%cI ${SHA}`]: "2026-02-03T04:05:06Z",
    };
    const context = detectCi({}, { git: (args) => answers[args.join(" ")] });
    expect(context).toEqual({
      provider: "generic",
      source_system: "generic",
      scm_sha: SHA,
      scm_branch: "main",
      scm_repository: "acme/tool",
      scm_committed_at: "2026-02-03T04:05:06Z",
      metadata: {},
    });
  });

  it("ignores a detached HEAD and a failing git", () => {
    const context = detectCi({}, { git: (args) => (args[1] === "--abbrev-ref" ? "HEAD" : undefined) });
    expect(context).toEqual({ provider: "generic", source_system: "generic", metadata: {} });
  });

  it("really runs git in a repository", () => {
    const context = detectCi({}, { git: runGit, cwd: import.meta.dirname });
    expect(context.scm_committed_at ?? "").toMatch(/^\d{4}-\d{2}-\d{2}T/);
  });
});
