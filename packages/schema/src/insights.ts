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
