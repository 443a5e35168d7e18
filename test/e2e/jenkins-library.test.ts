// The Jenkins shared library (actions/jenkins) run by Debian's groovy with stubbed pipeline steps:
// first recording the calls it makes, then with `sh` really running the CLI against a collector.
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type RunningCollector, startCollector } from "../support/collector.ts";
import { listBuilds, listDeployments } from "../support/collector-queries.ts";
import {
  type CaseResult,
  groovyString,
  jenkinsLibraryDir,
  runJenkinsCases,
  shellCalls,
} from "../support/groovy-runner.ts";

const apiKey = "vk_test_9c1f0d2e7b4a4b3f8e6d5c4b3a291807";
const credentials = { "versioner-api-key": apiKey };

const recordedCases = `
[
  build: {
    versionerTrackBuild(productName: 'shop', version: '1.4.0', apiUrl: 'https://versioner.example.com',
      credentialsId: 'versioner-api-key', metadata: [pr: 42, team: 'web'], failOnApiError: false,
      cli: 'node /opt/versioner.mjs')
  },
  deployment: {
    versionerTrackDeployment(productName: 'shop', version: '1.4.0', environment: 'staging', status: 'failed',
      credentialsId: 'versioner-api-key')
  },
  wrapCompleted: {
    versionerDeploy(environment: 'production', productName: 'shop', version: '1.4.0',
      credentialsId: 'versioner-api-key') {
      echo 'deploying'
      'body result'
    }
  },
  wrapFailed: {
    versionerDeploy(environment: 'production', productName: 'shop', version: '1.4.0',
      credentialsId: 'versioner-api-key') {
      error('helm upgrade failed')
    }
  },
  wrapAborted: {
    versionerDeploy(environment: 'production', productName: 'shop', version: '1.4.0',
      credentialsId: 'versioner-api-key') {
      throw new InterruptedException('Aborted by admin')
    }
  },
  failedReportFails: {
    shFailsWhen = { script, env -> env.VERSIONER_STATUS == 'failed' }
    versionerDeploy(environment: 'production', productName: 'shop', credentialsId: 'versioner-api-key') {
      error('helm upgrade failed')
    }
  },
  startedReportFails: {
    shFailsWhen = { script, env -> env.VERSIONER_STATUS == 'started' }
    versionerDeploy(environment: 'production', productName: 'shop', credentialsId: 'versioner-api-key') {
      echo 'must not run'
    }
  },
  keyFromEnvironment: {
    versionerTrackBuild(productName: 'shop', version: '1.4.0')
  },
  windowsAgent: {
    windowsAgent = true
    versionerTrackBuild(productName: 'shop', version: '1.4.0')
  },
  hostileValues: {
    versionerTrackDeployment(productName: "shop'; echo pwned; '", version: '$(id)', environment: '\`id\`',
      credentialsId: 'versioner-api-key')
  },
  apiKeyOption: { versionerTrackBuild(productName: 'shop', apiKey: '${apiKey}') },
  unknownOption: { versionerTrackBuild(product: 'shop') },
  missingEnvironment: { versionerTrackDeployment(productName: 'shop') },
  statusOnDeploy: { versionerDeploy(environment: 'production', status: 'completed') { echo 'never' } },
]
`;

/** Every string a case handed to a shell, which must never contain the API key. */
function shellStrings(result: CaseResult): string[] {
  return shellCalls(result).map((call) => call.script);
}

function reportedStatuses(result: CaseResult): (string | undefined)[] {
  return shellCalls(result).map((call) => call.env.VERSIONER_STATUS);
}

describe("Jenkins shared library (stubbed pipeline steps)", () => {
  let results: Record<string, CaseResult>;

  beforeAll(async () => {
    results = await runJenkinsCases({ cases: recordedCases, mode: "record", credentials });
  });

  function result(name: string): CaseResult {
    const found = results[name];
    if (!found) throw new Error(`case ${name} did not run`);
    return found;
  }

  it("has a help file for every step", () => {
    const steps = readdirSync(join(jenkinsLibraryDir, "vars")).filter((name) => name.endsWith(".groovy"));
    expect(steps.sort()).toEqual([
      "versionerDeploy.groovy",
      "versionerTrackBuild.groovy",
      "versionerTrackDeployment.groovy",
    ]);
    for (const step of steps) {
      expect(existsSync(join(jenkinsLibraryDir, "vars", step.replace(/\.groovy$/, ".txt")))).toBe(true);
    }
  });

  it("versionerTrackBuild passes every value through the environment and runs a constant shell string", () => {
    const build = result("build");
    expect(build.outcome).toBe("ok");
    expect(build.calls.map((call) => call.step)).toEqual(["withEnv", "withCredentials", "sh"]);
    const [sh] = shellCalls(build);
    expect(sh?.script).toBe("$VERSIONER_CLI track build");
    expect(sh?.env).toEqual({
      VERSIONER_API_URL: "https://versioner.example.com",
      VERSIONER_PRODUCT_NAME: "shop",
      VERSIONER_VERSION: "1.4.0",
      VERSIONER_STATUS: "completed",
      VERSIONER_METADATA: '{"pr":42,"team":"web"}',
      VERSIONER_FAIL_ON_API_ERROR: "false",
      VERSIONER_CLI: "node /opt/versioner.mjs",
      VERSIONER_API_KEY: apiKey,
    });
    expect(build.calls[1]).toEqual({
      step: "withCredentials",
      bindings: [{ type: "string", credentialsId: "versioner-api-key", variable: "VERSIONER_API_KEY" }],
    });
  });

  it("versionerTrackDeployment reports the given status to the given environment", () => {
    const deployment = result("deployment");
    expect(deployment.outcome).toBe("ok");
    const [sh] = shellCalls(deployment);
    expect(sh?.env).toMatchObject({ VERSIONER_ENVIRONMENT: "staging", VERSIONER_STATUS: "failed" });
  });

  it("by default runs the collector's CLI through the loader, from a constant shell string", () => {
    const loader = readFileSync(
      join(jenkinsLibraryDir, "resources/org/versioner/jenkins/fetch-cli.mjs"),
      "utf8",
    );
    for (const name of ["deployment", "keyFromEnvironment", "wrapCompleted"]) {
      for (const sh of shellCalls(result(name))) {
        expect(sh.script, name).toMatch(
          /^set \+x; node --input-type=module -e "\$VERSIONER_CLI_LOADER" -- track (build|deployment)$/,
        );
        expect(sh.env.VERSIONER_CLI_LOADER, name).toBe(loader);
        expect(sh.env.VERSIONER_CLI, name).toBeUndefined();
      }
    }
  });

  it("versionerDeploy reports started, runs the body, then completed, and returns the body's value", () => {
    const wrap = result("wrapCompleted");
    expect(wrap.outcome).toBe("ok");
    expect(wrap.value).toBe("body result");
    expect(reportedStatuses(wrap)).toEqual(["started", "completed"]);
    const steps = wrap.calls.map((call) => (call.step === "echo" ? `echo:${call.message}` : call.step));
    expect(steps.indexOf("echo:deploying")).toBeGreaterThan(steps.indexOf("sh"));
    expect(steps.lastIndexOf("sh")).toBeGreaterThan(steps.indexOf("echo:deploying"));
  });

  it("versionerDeploy reports failed and rethrows the body's error", () => {
    const wrap = result("wrapFailed");
    expect(wrap.outcome).toBe("threw");
    expect(wrap.error).toBe("helm upgrade failed");
    expect(reportedStatuses(wrap)).toEqual(["started", "failed"]);
  });

  it("versionerDeploy reports aborted when the build is interrupted, and rethrows", () => {
    const wrap = result("wrapAborted");
    expect(wrap.outcome).toBe("threw");
    expect(wrap.errorClass).toBe("java.lang.InterruptedException");
    expect(reportedStatuses(wrap)).toEqual(["started", "aborted"]);
  });

  it("versionerDeploy keeps the body's error when reporting failed fails too", () => {
    const wrap = result("failedReportFails");
    expect(wrap.outcome).toBe("threw");
    expect(wrap.error).toBe("helm upgrade failed");
    expect(reportedStatuses(wrap)).toEqual(["started", "failed"]);
    expect(wrap.calls).toContainEqual({
      step: "echo",
      message: "versionerDeploy: could not report failed to Versioner: script returned exit code 1",
    });
  });

  it("versionerDeploy does not run the body when reporting started fails (collector down, deploy blocked)", () => {
    const wrap = result("startedReportFails");
    expect(wrap.outcome).toBe("threw");
    expect(reportedStatuses(wrap)).toEqual(["started"]);
    expect(wrap.calls).not.toContainEqual({ step: "echo", message: "must not run" });
  });

  it("without credentialsId leaves the API key to the environment and binds no credentials", () => {
    const build = result("keyFromEnvironment");
    expect(build.outcome).toBe("ok");
    expect(build.calls.map((call) => call.step)).toEqual(["withEnv", "sh"]);
    expect(shellCalls(build)[0]?.env.VERSIONER_API_KEY).toBeUndefined();
  });

  it("on a Windows agent runs the loader, joined into one line, through bat", () => {
    const loader = readFileSync(
      join(jenkinsLibraryDir, "resources/org/versioner/jenkins/fetch-cli.mjs"),
      "utf8",
    );
    const [bat] = shellCalls(result("windowsAgent"));
    expect(bat?.step).toBe("bat");
    expect(bat?.script).toBe('node --input-type=module -e "%VERSIONER_CLI_LOADER%" -- track build');
    expect(bat?.env.VERSIONER_CLI_LOADER).toBe(loader.split("\n").filter(Boolean).join(" "));
  });

  it("never interpolates values into the shell string", () => {
    const hostile = result("hostileValues");
    expect(shellStrings(hostile)).toEqual([
      'set +x; node --input-type=module -e "$VERSIONER_CLI_LOADER" -- track deployment',
    ]);
    expect(shellCalls(hostile)[0]?.env).toMatchObject({
      VERSIONER_PRODUCT_NAME: "shop'; echo pwned; '",
      VERSIONER_VERSION: "$(id)",
      VERSIONER_ENVIRONMENT: "`id`",
    });
  });

  it("never puts the API key in a shell string or a withEnv entry", () => {
    for (const [name, caseResult] of Object.entries(results)) {
      for (const script of shellStrings(caseResult)) expect(script, name).not.toContain(apiKey);
      for (const call of caseResult.calls) {
        if (call.step === "withEnv") expect(call.entries.join("\n"), name).not.toContain(apiKey);
      }
    }
  });

  it("refuses an apiKey option, unknown options and a deployment without environment before any shell runs", () => {
    expect(result("apiKeyOption")).toMatchObject({ outcome: "threw" });
    expect(result("apiKeyOption").error).toMatch(/apiKey is not an option; give credentialsId/);
    expect(result("apiKeyOption").error).not.toContain(apiKey);
    expect(result("unknownOption").error).toMatch(/unknown option\(s\) product/);
    expect(result("missingEnvironment").error).toMatch(/environment is required/);
    expect(result("statusOnDeploy").error).toMatch(/status is not an option/);
    for (const name of ["apiKeyOption", "unknownOption", "missingEnvironment", "statusOnDeploy"]) {
      expect(shellCalls(result(name)), name).toEqual([]);
    }
  });
});

describe("Jenkins shared library running the CLI against a collector", () => {
  let collector: RunningCollector;
  let results: Record<string, CaseResult>;

  // What a Jenkins agent would have in the environment of a multibranch build.
  const jenkinsEnv = {
    JENKINS_URL: "https://jenkins.example.com/",
    JOB_NAME: "acme/shop/main",
    BUILD_NUMBER: "42",
    BUILD_ID: "42",
    BUILD_TAG: "jenkins-acme-shop-main-42",
    BUILD_URL: "https://jenkins.example.com/job/acme/job/shop/job/main/42/",
    GIT_URL: "git@github.com:acme/shop.git",
    GIT_COMMIT: "9f8e7d6c5b4a39281706f5e4d3c2b1a098765432",
    GIT_BRANCH: "origin/main",
  };

  beforeAll(async () => {
    collector = await startCollector();
    // No `cli` option: the steps fetch the collector's CLI, check its checksum and run it.
    const options = `apiUrl: ${groovyString(collector.url)}, credentialsId: 'versioner-api-key'`;
    results = await runJenkinsCases({
      mode: "execute",
      credentials: { "versioner-api-key": collector.token },
      env: jenkinsEnv,
      cases: `
[
  build: { versionerTrackBuild(productName: 'shop', version: '3.1.0', ${options}) },
  deployCompleted: {
    versionerDeploy(environment: 'production', productName: 'shop', version: '3.1.0', metadata: [change: 'CHG-7'], ${options}) {
      sh 'echo "deploying shop 3.1.0"'
      'ok'
    }
  },
  deployFailed: {
    versionerDeploy(environment: 'staging', productName: 'shop', version: '3.1.0', ${options}) {
      sh 'exit 7'
    }
  },
]
`,
    });
  });

  afterAll(async () => {
    await collector?.stop();
  });

  it("records the build with Jenkins metadata", async () => {
    expect(results.build?.outcome, JSON.stringify(results.build)).toBe("ok");
    const builds = await listBuilds(collector, "shop", "3.1.0");
    expect(builds).toHaveLength(1);
    expect(builds[0]).toMatchObject({ status: "completed", source_system: "jenkins", build_number: "42" });
  });

  it("versionerDeploy records started then completed as one deployment", async () => {
    expect(results.deployCompleted?.outcome, JSON.stringify(results.deployCompleted)).toBe("ok");
    const deployments = await listDeployments(collector, "shop", "production");
    expect(deployments).toHaveLength(1);
    expect(deployments[0]).toMatchObject({
      status: "completed",
      version: "3.1.0",
      source_system: "jenkins",
      invoke_id: "jenkins-acme-shop-main-42",
    });
    expect(deployments[0]?.started_at).toBeTruthy();
    expect(deployments[0]?.completed_at).toBeTruthy();
    expect(deployments[0]?.extra_metadata).toMatchObject({
      change: "CHG-7",
      vi_jenkins_job_name: "acme/shop/main",
    });
  });

  it("versionerDeploy records failed and rethrows when the body fails", async () => {
    const failed = results.deployFailed;
    expect(failed?.outcome).toBe("threw");
    expect(failed?.error).toBe("script returned exit code 7");
    const deployments = await listDeployments(collector, "shop", "staging");
    expect(deployments).toHaveLength(1);
    expect(deployments[0]).toMatchObject({ status: "failed", version: "3.1.0" });
  });

  it("keeps the API key out of shell strings and output", () => {
    for (const [name, caseResult] of Object.entries(results)) {
      for (const call of shellCalls(caseResult)) {
        expect(call.script, name).not.toContain(collector.token);
        expect(call.output ?? "", name).not.toContain(collector.token);
      }
    }
  });
});
