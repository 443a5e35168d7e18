import { readFileSync } from "node:fs";
import { definedOnly } from "./env-values.ts";
import type { GitRunner } from "./git.ts";
import * as azure from "./providers/azure.ts";
import * as bitbucket from "./providers/bitbucket.ts";
import * as buildkite from "./providers/buildkite.ts";
import * as circleci from "./providers/circleci.ts";
import * as generic from "./providers/generic.ts";
import * as github from "./providers/github.ts";
import * as gitlab from "./providers/gitlab.ts";
import * as jenkins from "./providers/jenkins.ts";
import * as travis from "./providers/travis.ts";
import { normalizeRepository } from "./repository.ts";
import type { CiContext, Env, Provider } from "./types.ts";

/**
 * Every provider in detection order. Jenkins comes after the CIs that set a `…=true` marker because
 * `JENKINS_URL` can leak into other environments; generic always matches, so it is last.
 */
const PROVIDERS: readonly Provider[] = [
  { id: "github", sourceSystem: "github", ...github },
  { id: "gitlab", sourceSystem: "gitlab", ...gitlab },
  { id: "circleci", sourceSystem: "circleci", ...circleci },
  { id: "bitbucket", sourceSystem: "bitbucket", ...bitbucket },
  { id: "azure", sourceSystem: "azure-devops", ...azure },
  { id: "travis", sourceSystem: "travis", ...travis },
  { id: "buildkite", sourceSystem: "buildkite", ...buildkite },
  { id: "jenkins", sourceSystem: "jenkins", ...jenkins },
  { id: "generic", sourceSystem: "generic", ...generic },
];

/** Options of `detectCi`. */
export interface DetectOptions {
  /** Working directory for git (default: the process's). */
  cwd?: string;
  /**
   * Asks local git, through this runner (`runGit`, or a stand-in in tests), for what the CI did not
   * tell: commit time; for the generic provider also sha, branch and repository. Absent by default so
   * detection is pure, and a caller that never asks (the GitHub Action) never loads node:child_process.
   */
  git?: GitRunner;
  /** Reads a UTF-8 file (the GitHub event payload). Default: `fs.readFileSync`. */
  readFile?: (path: string) => string;
}

/** Detects the CI system from `env` and reads its build, commit and actor metadata. Never throws. */
export function detectCi(env: Env, options: DetectOptions = {}): CiContext {
  // generic always matches, so find() cannot come back empty.
  const provider = PROVIDERS.find((candidate) => candidate.detect(env)) ?? (PROVIDERS.at(-1) as Provider);
  const readFile = options.readFile ?? ((path: string) => readFileSync(path, "utf8"));
  const fields = provider.read(env, { readFile });
  const context: CiContext = {
    provider: provider.id,
    source_system: provider.sourceSystem,
    ...definedOnly(fields),
    metadata: fields.metadata,
  };
  if (options.git) fillFromGit(context, options.git, options.cwd);
  return context;
}

function fillFromGit(context: CiContext, git: GitRunner, cwd: string | undefined): void {
  const found: Partial<CiContext> = {};
  if (context.provider === "generic") {
    found.scm_sha = git(["rev-parse", "HEAD"], cwd);
    const branch = git(["rev-parse", "--abbrev-ref", "HEAD"], cwd);
    // A detached HEAD reports the literal "HEAD", which is not a branch.
    if (branch !== "HEAD") found.scm_branch = branch;
    found.scm_repository = normalizeRepository(git(["config", "--get", "remote.origin.url"], cwd));
  }
  if (!context.scm_committed_at) {
    found.scm_committed_at = git(
      ["log", "-1", "--format=%cI", context.scm_sha ?? found.scm_sha ?? "HEAD"],
      cwd,
    );
  }
  // What the CI said wins over git; git only fills the gaps.
  Object.assign(context, definedOnly(found), definedOnly(context));
}
