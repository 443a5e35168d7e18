// The GitLab CI/CD component (actions/gitlab): its templates included with inputs from a test
// project and run by gitlab-ci-local's shell executor with the default `cli` input, which downloads
// the CLI from the live collector, checks its checksum and runs it.
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type RunningCollector, startCollector } from "../support/collector.ts";
import { listBuilds, listDeployments } from "../support/collector-queries.ts";
import {
  createGitlabProject,
  type GitlabTestProject,
  gitlabComponentDir,
  type PipelineRun,
  templatesPath,
} from "../support/gitlab-ci-local-runner.ts";

const templates = ["track-build", "track-deployment"] as const;

/** The `spec: inputs:` of a template: input name -> its keys (description, default, type...). */
function specInputs(template: string): Map<string, Set<string>> {
  const text = readFileSync(join(gitlabComponentDir, "templates", `${template}.yml`), "utf8");
  const header = text.split(/^---$/m)[0] ?? "";
  const inputs = new Map<string, Set<string>>();
  let inInputs = false;
  let current: Set<string> | undefined;
  for (const line of header.split("\n")) {
    if (/^ {2}inputs:\s*$/.test(line)) {
      inInputs = true;
      continue;
    }
    if (!inInputs) continue;
    const input = /^ {4}([A-Za-z0-9_-]+):\s*$/.exec(line);
    const key = /^ {6}([a-z_]+):/.exec(line);
    if (input?.[1]) {
      current = new Set();
      inputs.set(input[1], current);
    } else if (key?.[1] && current) {
      current.add(key[1]);
    }
  }
  return inputs;
}

describe("GitLab component templates", () => {
  it("describe every input and give it a default, with stage, job prefix, rules, image and cli among them", () => {
    for (const template of templates) {
      const inputs = specInputs(template);
      for (const name of ["api_url", "product_name", "version", "status", "metadata", "fail_on_api_error"]) {
        expect(inputs.has(name), `${template}: ${name}`).toBe(true);
      }
      for (const name of ["stage", "job_prefix", "rules", "image", "cli"]) {
        expect(inputs.has(name), `${template}: ${name}`).toBe(true);
      }
      for (const [name, keys] of inputs) {
        expect(keys.has("description"), `${template}: ${name} has a description`).toBe(true);
        expect(keys.has("default"), `${template}: ${name} has a default`).toBe(true);
      }
    }
    expect([...specInputs("track-deployment").keys()]).toEqual(
      expect.arrayContaining(["environment", "deploy_script"]),
    );
  });

  it("use no global keywords", () => {
    for (const template of templates) {
      const text = readFileSync(join(gitlabComponentDir, "templates", `${template}.yml`), "utf8");
      const body = text.split(/^---$/m)[1] ?? "";
      const topLevel = body
        .split("\n")
        .filter((line) => /^[^\s#]/.test(line))
        .map((line) => line.replace(/:.*$/, ""));
      expect(topLevel, template).toHaveLength(1);
      expect(topLevel[0], template).toMatch(/^"\$\[\[ inputs\.job_prefix \]\]-/);
      expect(body, template).not.toMatch(
        /^(default|variables|stages|include|workflow|image|before_script):/m,
      );
    }
  });

  it("are all documented in the component README (every spec:inputs key of every template)", () => {
    const readme = readFileSync(join(gitlabComponentDir, "README.md"), "utf8");
    for (const template of templates) {
      expect(readme, `README mentions ${template}`).toContain(`/${template}@`);
      for (const name of specInputs(template).keys()) {
        expect(readme, `README documents ${template} input ${name}`).toMatch(
          new RegExp(`^\\|\\s*\`${name}\`\\s*\\|`, "m"),
        );
      }
    }
  });

  it("ship the catalog layout: README.md, templates/<name>.yml and a .gitlab-ci.yml that tests and releases", () => {
    expect(existsSync(join(gitlabComponentDir, "README.md"))).toBe(true);
    const ci = readFileSync(join(gitlabComponentDir, ".gitlab-ci.yml"), "utf8");
    expect(ci).toContain("component: $CI_SERVER_FQDN/$CI_PROJECT_PATH/track-build@$CI_COMMIT_SHA");
    expect(ci).toContain("component: $CI_SERVER_FQDN/$CI_PROJECT_PATH/track-deployment@$CI_COMMIT_SHA");
    expect(ci).toMatch(/^\s+release:/m);
  });
});

describe("GitLab component run by gitlab-ci-local", () => {
  let collector: RunningCollector;
  const projects: GitlabTestProject[] = [];

  beforeAll(async () => {
    collector = await startCollector();
  });

  afterAll(async () => {
    for (const project of projects) project.remove();
    await collector?.stop();
  });

  async function project(
    name: string,
    gitlabCi: string,
    files: Record<string, string> = {},
  ): Promise<GitlabTestProject> {
    const created = await createGitlabProject({
      name,
      gitlabCi,
      files,
      // Masked project CI/CD variables in GitLab; gitlab-ci-local reads them from a file.
      projectVariables: {
        // gitlab-ci-local sets GITLAB_CI=false so scripts can tell; a GitLab runner sets true.
        GITLAB_CI: "true",
        VERSIONER_API_KEY: collector.token,
        VERSIONER_API_URL: collector.url,
      },
    });
    projects.push(created);
    return created;
  }

  function jobLines(run: PipelineRun, job: string): string {
    return run.output
      .split("\n")
      .filter((line) => line.startsWith(`${job} `))
      .join("\n");
  }

  it("validates against GitLab's schema when included with the default image", async () => {
    const gitlab = await project(
      "schema-check",
      `
stages: [build, deploy]
include:
  - local: ${templatesPath}/track-build.yml
  - local: ${templatesPath}/track-deployment.yml
    inputs:
      environment: production
      job_prefix: release
      stage: build
      rules:
        - if: $CI_COMMIT_BRANCH == "main"
          when: manual
`,
    );
    const run = await gitlab.run(["--list-json"]);
    expect(run.code, run.output).toBe(0);
    const jobs = JSON.parse(run.stdout.slice(run.stdout.indexOf("["))) as {
      name: string;
      stage: string;
      rules: unknown[];
    }[];
    expect(jobs.map(({ name, stage }) => ({ name, stage }))).toEqual([
      { name: "versioner-build", stage: "build" },
      { name: "release-deploy-production", stage: "build" },
    ]);
    expect(jobs[0]?.rules).toEqual([{ when: "on_success" }]);
    expect(jobs[1]?.rules).toEqual([{ if: '$CI_COMMIT_BRANCH == "main"', when: "manual" }]);
  });

  it("the component project's own pipeline includes both components from the commit under test", async () => {
    const componentProject = await createGitlabProject({
      name: "versioner",
      gitlabCi: readFileSync(join(gitlabComponentDir, ".gitlab-ci.yml"), "utf8"),
      files: { "README.md": readFileSync(join(gitlabComponentDir, "README.md"), "utf8") },
      templatesAt: "templates",
    });
    projects.push(componentProject);
    const run = await componentProject.run(["--list-json"]);
    expect(run.code, run.output).toBe(0);
    const jobs = JSON.parse(run.stdout.slice(run.stdout.indexOf("["))) as { name: string; stage: string }[];
    expect(jobs.map(({ name, stage }) => `${stage}:${name}`)).toEqual([
      "test:smoke-build",
      "test:smoke-deploy-component-test",
      "release:create-release",
    ]);
  });

  it("the component project's smoke jobs warn and pass when the collector is unreachable (fail_on_api_error false)", async () => {
    // On the host (shell executor) instead of in the node image.
    const gitlabCi = readFileSync(join(gitlabComponentDir, ".gitlab-ci.yml"), "utf8").replace(
      /^(smoke-[a-z-]+:)\n/gm,
      "$1\n  image: null\n",
    );
    expect(gitlabCi.match(/image: null/g)).toHaveLength(2);
    const componentProject = await createGitlabProject({
      name: "versioner",
      gitlabCi,
      files: { "README.md": readFileSync(join(gitlabComponentDir, "README.md"), "utf8") },
      templatesAt: "templates",
    });
    projects.push(componentProject);
    const run = await componentProject.run([
      "--json-schema-validation=false",
      "smoke-build",
      "smoke-deploy-component-test",
    ]);
    expect(run.code, run.output).toBe(0);
    expect(run.output).toMatch(/PASS\s+smoke-build/);
    expect(run.output).toMatch(/PASS\s+smoke-deploy-component-test/);
    expect(jobLines(run, "smoke-build")).toContain(
      "warning: could not download the versioner CLI from http://127.0.0.1:9/cli/versioner.mjs after 3 attempts",
    );
  });

  it("records the build, a started→completed deployment, and a failed one for a failing deploy script", async () => {
    // The deploy script looks at the collector while it runs: `started` must already be recorded.
    const observer = `
const query = new URLSearchParams({ product: "shop", environment: process.env.VERSIONER_ENVIRONMENT });
const response = await fetch(process.env.VERSIONER_API_URL + "/deployments?" + query, {
  headers: { authorization: "Bearer " + process.env.VERSIONER_API_KEY },
});
const { items } = await response.json();
console.log("status during deploy: " + items.map((item) => item.status).join(","));
`;
    const gitlab = await project(
      "shop",
      `
stages: [build, deploy]
include:
  - local: ${templatesPath}/track-build.yml
    inputs:
      api_url: ${collector.url}
      product_name: shop
      version: 2.0.0
      job_prefix: track
  - local: ${templatesPath}/track-deployment.yml
    inputs:
      product_name: shop
      version: 2.0.0
      environment: staging
      metadata: '{"change": "CHG-1"}'
      deploy_script:
        - node observe-deployment.mjs
        - echo "deployed shop 2.0.0"
  - local: ${templatesPath}/track-deployment.yml
    inputs:
      product_name: shop
      version: 2.0.0
      environment: production
      deploy_script:
        - echo "deploying to production"
        - exit 3

# The jobs run on the host (shell executor) instead of in the node image.
track-build:
  image: null
versioner-deploy-staging:
  image: null
versioner-deploy-production:
  image: null
`,
      { "observe-deployment.mjs": observer },
    );

    const run = await gitlab.run(["--json-schema-validation=false"]);
    expect(run.code, run.output).not.toBe(0);
    expect(run.output).toMatch(/PASS\s+track-build/);
    expect(run.output).toMatch(/PASS\s+versioner-deploy-staging/);
    expect(run.output).toMatch(/FAIL\s+versioner-deploy-production/);
    expect(jobLines(run, "versioner-deploy-staging")).toContain("status during deploy: started");
    expect(run.output).not.toContain(collector.token);

    const builds = await listBuilds(collector, "shop", "2.0.0");
    expect(builds).toHaveLength(1);
    expect(builds[0]).toMatchObject({ status: "completed", source_system: "gitlab" });
    expect(builds[0]?.build_number).toBeTruthy();

    const staging = await listDeployments(collector, "shop", "staging");
    expect(staging).toHaveLength(1);
    expect(staging[0]).toMatchObject({ status: "completed", version: "2.0.0", source_system: "gitlab" });
    expect(staging[0]?.started_at).toBeTruthy();
    expect(staging[0]?.completed_at).toBeTruthy();
    expect(staging[0]?.extra_metadata).toMatchObject({
      change: "CHG-1",
      vi_gitlab_job_name: "versioner-deploy-staging",
    });

    const production = await listDeployments(collector, "shop", "production");
    expect(production).toHaveLength(1);
    expect(production[0]).toMatchObject({ status: "failed", version: "2.0.0" });
  });
});
