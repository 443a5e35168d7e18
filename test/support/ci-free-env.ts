// The test process's environment without anything the Versioner CLI would read or CI detection
// would pick up, so a wrapper under test sees only the CI it simulates (even when the tests
// themselves run in a CI).
const ciVariable =
  /^(VERSIONER_|CI_|GITLAB_|GITHUB_|JENKINS_|BUILD_|GIT_|JOB_|RUNNER_|CIRCLE|BITBUCKET_|SYSTEM_|BUILDKITE|TRAVIS|TF_BUILD$|CI$|CHANGE_|BRANCH_NAME$)/;

export function ciFreeEnv(extra: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (!ciVariable.test(name)) env[name] = value;
  }
  return { ...env, ...extra };
}
