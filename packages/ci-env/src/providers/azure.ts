import { branchFromRef, metadataFrom, pick } from "../env-values.ts";
import type { CiFields, Env } from "../types.ts";

/** Azure Pipelines sets `TF_BUILD=True` (capitalised) on every agent. */
export function detect(env: Env): boolean {
  return env.TF_BUILD?.toLowerCase() === "true";
}

/** Reads Azure Pipelines' predefined variables (`BUILD_*`, `SYSTEM_*`, exposed upper-cased with `_`). */
export function read(env: Env): CiFields {
  const name = pick(env, "BUILD_REPOSITORY_NAME");
  const project = pick(env, "SYSTEM_TEAMPROJECT");
  // GitHub-hosted repos are already `owner/repo`; Azure Repos names are bare, so qualify them with the project.
  const repository = name && !name.includes("/") && project ? `${project}/${name}` : name;
  const buildId = pick(env, "BUILD_BUILDID");
  const collection = pick(env, "SYSTEM_COLLECTIONURI", "SYSTEM_TEAMFOUNDATIONCOLLECTIONURI");
  return {
    scm_repository: repository,
    scm_sha: pick(env, "BUILD_SOURCEVERSION"),
    // BUILD_SOURCEBRANCHNAME is only the last segment (`feature/x` → `x`), so strip the full ref instead.
    scm_branch: branchFromRef(pick(env, "SYSTEM_PULLREQUEST_SOURCEBRANCH", "BUILD_SOURCEBRANCH")),
    build_number: pick(env, "BUILD_BUILDNUMBER"),
    invoke_id: buildId,
    run_url:
      collection && project && buildId
        ? `${collection.replace(/\/+$/, "")}/${encodeURIComponent(project)}/_build/results?buildId=${buildId}`
        : undefined,
    actor: pick(env, "BUILD_REQUESTEDFOR"),
    actor_email: pick(env, "BUILD_REQUESTEDFOREMAIL"),
    actor_name: pick(env, "BUILD_REQUESTEDFOR"),
    environment_name: pick(env, "ENVIRONMENT_NAME"),
    metadata: metadataFrom(env, {
      vi_azure_build_id: "BUILD_BUILDID",
      vi_azure_definition_name: "BUILD_DEFINITIONNAME",
      vi_azure_team_project: "SYSTEM_TEAMPROJECT",
      vi_azure_stage_name: "SYSTEM_STAGENAME",
      vi_azure_job_name: "SYSTEM_JOBDISPLAYNAME",
      vi_azure_agent_name: "AGENT_NAME",
      vi_azure_reason: "BUILD_REASON",
      vi_azure_pull_request_id: "SYSTEM_PULLREQUEST_PULLREQUESTID",
    }),
  };
}
