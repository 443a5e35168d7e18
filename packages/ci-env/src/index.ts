export { type DetectOptions, detectCi, PROVIDERS } from "./detect.ts";
export { normalizeRepository } from "./repository.ts";
export { envNamesFor, resolveBuildEvent, resolveDeploymentEvent, type TrackInputs } from "./resolve.ts";
export type { CiContext, CiFields, Env, Provider, ProviderId, ReadOptions } from "./types.ts";
export { UsageError } from "./usage-error.ts";
