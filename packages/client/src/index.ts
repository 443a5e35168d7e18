export {
  CLIENT_VERSION,
  type DeploymentQuery,
  type HealthResponse,
  type Page,
  type RetryInfo,
  type StateFilters,
  type TrackOptions,
  VersionerClient,
  type VersionerClientOptions,
} from "./client.ts";
export {
  ApiError,
  AuthError,
  PreflightBlockedError,
  UnreachableError,
  ValidationError,
  VersionerError,
  type VersionerErrorKind,
} from "./errors.ts";
export { parseRetryAfter } from "./retry-delay.ts";
