import { branchFromRef, metadataFrom, pick } from "../env-values.ts";
import type { CiFields, Env, ReadOptions } from "../types.ts";

/** GitHub Actions sets `GITHUB_ACTIONS=true` in every step. */
export function detect(env: Env): boolean {
  return env.GITHUB_ACTIONS === "true";
}

interface CommitAuthor {
  email?: string;
  name?: string;
}
interface PushPayload {
  head_commit?: { author?: CommitAuthor; timestamp?: string } | null;
  commits?: Array<{ author?: CommitAuthor }>;
}

// The event payload is best effort: a missing, unreadable or garbled file just yields nothing.
function readPayload(path: string | undefined, readFile: ReadOptions["readFile"]): PushPayload {
  if (!path || !readFile) return {};
  try {
    const parsed: unknown = JSON.parse(readFile(path));
    // Objects and arrays only: null or a bare string has no push fields to read.
    return parsed instanceof Object ? (parsed as PushPayload) : {};
  } catch {
    return {};
  }
}

function text(value: unknown): string | undefined {
  return typeof value === "string" && value.trim() ? value.trim() : undefined;
}

/** Reads `GITHUB_*` variables and, for push events, the commit author from `GITHUB_EVENT_PATH`. */
export function read(env: Env, options: ReadOptions = {}): CiFields {
  const repository = pick(env, "GITHUB_REPOSITORY");
  const runId = pick(env, "GITHUB_RUN_ID");
  const server = (pick(env, "GITHUB_SERVER_URL") ?? "https://github.com").replace(/\/+$/, "");
  const payload = readPayload(pick(env, "GITHUB_EVENT_PATH"), options.readFile);
  const author = payload.head_commit?.author ?? payload.commits?.[0]?.author;
  return {
    scm_repository: repository,
    scm_sha: pick(env, "GITHUB_SHA"),
    // On pull requests GITHUB_REF is refs/pull/<n>/merge; the source branch is GITHUB_HEAD_REF.
    scm_branch:
      pick(env, "GITHUB_HEAD_REF") ?? branchFromRef(pick(env, "GITHUB_REF")) ?? pick(env, "GITHUB_REF_NAME"),
    scm_committed_at: text(payload.head_commit?.timestamp),
    build_number: pick(env, "GITHUB_RUN_NUMBER"),
    invoke_id: runId,
    run_url: repository && runId ? `${server}/${repository}/actions/runs/${runId}` : undefined,
    actor: pick(env, "GITHUB_ACTOR"),
    actor_email: text(author?.email),
    actor_name: text(author?.name),
    metadata: metadataFrom(env, {
      vi_gh_workflow: "GITHUB_WORKFLOW",
      vi_gh_job: "GITHUB_JOB",
      vi_gh_run_attempt: "GITHUB_RUN_ATTEMPT",
      vi_gh_event_name: "GITHUB_EVENT_NAME",
      vi_gh_ref: "GITHUB_REF",
      vi_gh_head_ref: "GITHUB_HEAD_REF",
      vi_gh_base_ref: "GITHUB_BASE_REF",
    }),
  };
}
