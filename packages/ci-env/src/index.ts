export { type DetectOptions, detectCi } from "./detect.ts";
export { type GitRunner, runGit } from "./git.ts";
export { envNamesFor, resolveBuildEvent, resolveDeploymentEvent, type TrackInputs } from "./resolve.ts";
export type { CiContext, Env, ProviderId } from "./types.ts";
export { UsageError } from "./usage-error.ts";
