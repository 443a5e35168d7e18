/** The process environment, passed in explicitly so detection stays pure and testable. */
export type Env = Readonly<Record<string, string | undefined>>;

/** Identifier of a detected CI system. */
export type ProviderId =
  | "github"
  | "gitlab"
  | "jenkins"
  | "circleci"
  | "bitbucket"
  | "azure"
  | "travis"
  | "buildkite"
  | "generic";

/** What was detected about the current CI run; every field but `provider`, `source_system` and `metadata` may be missing. */
export interface CiContext {
  provider: ProviderId;
  /** Value sent as `source_system` (`azure-devops` for Azure Pipelines). */
  source_system: string;
  /** Repository in `owner/repo` form (GitLab may have nested groups: `group/sub/repo`). */
  scm_repository?: string;
  scm_sha?: string;
  scm_branch?: string;
  /** RFC 3339 commit time, when the CI or local git tells. */
  scm_committed_at?: string;
  build_number?: string;
  invoke_id?: string;
  /** Link to the CI run: sent as `build_url` for builds and `deploy_url` for deployments. */
  run_url?: string;
  actor?: string;
  actor_email?: string;
  actor_name?: string;
  /** Deployment environment, when the CI has the notion (GitLab, Bitbucket, Azure). */
  environment_name?: string;
  /** `vi_<ci>_*` keys merged into `extra_metadata` (user metadata wins on clashes). */
  metadata: Record<string, string>;
}

/** Options of `read()` for providers that need more than the environment. */
export interface ReadOptions {
  /** Reads a file as UTF-8 (GitHub event payload); throws when it cannot. */
  readFile?: (path: string) => string;
}

/** The fields a provider fills: everything of `CiContext` but the provider identity. */
export type CiFields = Omit<CiContext, "provider" | "source_system">;

/** One CI provider: `detect` says whether the environment belongs to it, `read` extracts its fields. */
export interface Provider {
  id: ProviderId;
  sourceSystem: string;
  detect(env: Env): boolean;
  read(env: Env, options?: ReadOptions): CiFields;
}
