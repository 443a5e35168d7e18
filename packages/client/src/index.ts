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
export {
  type PreflightBlockDetail,
  type PreflightRequest,
  type PreflightResult,
  type ReportOnlyViolation,
  type RuleEvaluation,
  reportOnlyViolations,
  reportOnlyViolationsOf,
} from "./preflight.ts";
export { parseRetryAfter } from "./retry-delay.ts";
