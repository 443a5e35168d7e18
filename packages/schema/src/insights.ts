import { z } from "zod";
import { ENVIRONMENT_TYPES } from "./environment-type.ts";

const Id = z.string();
const Time = z.string();
const Text = z.string().nullable();

const EnvironmentRef = z.object({ id: Id, name: z.string(), type: z.enum(ENVIRONMENT_TYPES) });

/** What runs on one side of an environment diff. */
export const DiffSide = z.object({
  version: z.string(),
  version_id: Id,
  scm_sha: Text,
  deployment_id: Id,
  deployed_at: Time,
  /** When the version was first deployed anywhere: the order "ahead" is decided by. */
  first_deployed_at: Time,
});
export type DiffSide = z.infer<typeof DiffSide>;

export const DIFF_STATUSES = ["differs", "only_in_a", "only_in_b"] as const;

export const EnvironmentDiffItem = z.object({
  product_id: Id,
  product_name: z.string(),
  status: z.enum(DIFF_STATUSES),
  a: DiffSide.nullable(),
  b: DiffSide.nullable(),
  /** The side whose version was deployed later (first deployment anywhere); null when undecidable. */
  ahead: z.enum(["a", "b"]).nullable(),
  /** Commits from the side behind to the side ahead, when the repository host is known. */
  compare_url: Text,
});
export type EnvironmentDiffItem = z.infer<typeof EnvironmentDiffItem>;

/** `GET /environments/{a}/diff/{b}`. */
export const EnvironmentDiff = z.object({
  a: EnvironmentRef,
  b: EnvironmentRef,
  items: z.array(EnvironmentDiffItem),
  summary: z.object({
    differs: z.number().int(),
    only_in_a: z.number().int(),
    only_in_b: z.number().int(),
    same: z.number().int(),
  }),
});
export type EnvironmentDiff = z.infer<typeof EnvironmentDiff>;

const VersionRef = z.object({
  id: Id,
  version: z.string(),
  scm_sha: Text,
  build_number: Text,
  build_url: Text,
  status: Text,
  created_at: Time,
});

/** `GET /products/{ref}/diff?from=&to=`. */
export const ProductDiff = z.object({
  product_id: Id,
  product_name: z.string(),
  from: VersionRef,
  to: VersionRef,
  /** forward: `to` came after `from`; backward: before; same: one version. */
  direction: z.enum(["forward", "backward", "same"]),
  compare_url: Text,
  /** Versions recorded after the older of the two up to and including the newer, oldest first. */
  versions: z.array(VersionRef),
});
export type ProductDiff = z.infer<typeof ProductDiff>;

const Band = z.enum(["elite", "high", "medium", "low"]).nullable();
const Summary = z.object({
  count: z.number().int(),
  median_seconds: z.number().nullable(),
  p90_seconds: z.number().nullable(),
});

export const DORA_BUCKETS = ["day", "week", "month"] as const;

/** `GET /metrics/dora`: the four keys for a window, overall and per local bucket of `tz` (docs/insight.md). */
export const DoraMetrics = z.object({
  window: z.object({ from: Time, to: Time, bucket: z.enum(DORA_BUCKETS), tz: z.string() }),
  /** The production environments measured. */
  environments: z.array(z.object({ id: Id, name: z.string() })),
  filters: z.object({ product: Text, team: Text }),
  deployment_frequency: z.object({
    deployments: z.number().int(),
    deployment_days: z.number().int(),
    per_day: z.number(),
    median_deployment_days_per_week: z.number(),
    median_deployment_days_per_month: z.number(),
    band: Band,
  }),
  lead_time: Summary.extend({ band: Band }),
  change_failure_rate: z.object({
    deployments: z.number().int(),
    failures: z.number().int(),
    failed: z.number().int(),
    rolled_back: z.number().int(),
    incident_linked: z.number().int(),
    rate: z.number().nullable(),
    band: Band,
  }),
  time_to_restore: Summary.extend({
    band: Band,
    deployments: Summary,
    incidents: Summary,
    unresolved: z.number().int(),
  }),
  buckets: z.array(
    z.object({
      start: Time,
      end: Time,
      deployments: z.number().int(),
      deployment_days: z.number().int(),
      lead_time: Summary,
      change_failure: z.object({
        deployments: z.number().int(),
        failures: z.number().int(),
        rate: z.number().nullable(),
      }),
      time_to_restore: Summary,
    }),
  ),
});
export type DoraMetrics = z.infer<typeof DoraMetrics>;

/** A production incident (`/incidents`). */
export const Incident = z.object({
  id: Id,
  title: z.string(),
  description: Text,
  product_id: Id,
  product_name: z.string(),
  environment_id: Id,
  environment_name: z.string(),
  deployment_id: Text,
  status: z.enum(["open", "resolved"]),
  opened_at: Time,
  resolved_at: Time.nullable(),
  created_by: z.string(),
  created_at: Time,
  updated_at: Time,
});
export type Incident = z.infer<typeof Incident>;
