import { makeBadge } from "badge-maker";
import { and, eq, or } from "drizzle-orm";
import type { CatalogDeps } from "../catalog/products-service.ts";
import { describeCell, readStateGeneration } from "../catalog/state-service.ts";
import { currentState, environments, products } from "../db/schema/index.ts";
import type { ShieldsEndpoint } from "./shields-endpoint.ts";

export const BADGE_STYLES = ["flat", "flat-square", "plastic", "for-the-badge", "social"] as const;
export type BadgeStyle = (typeof BADGE_STYLES)[number];

/** Shields' named colours, by the latest attempt in the cell (docs/badges.md). */
export const BADGE_COLORS = {
  completed: "brightgreen",
  failed: "red",
  inProgress: "blue",
  none: "lightgrey",
} as const;

/** What a badge says, before it is drawn as SVG or written as shields.io endpoint JSON. */
export interface Badge {
  label: string;
  message: string;
  color: string;
  /** Not a state of the cell but a problem with the request (unknown product, missing token). */
  isError: boolean;
}

// Part of every ETag, so a collector upgrade that draws badges differently is not answered with 304.
const RENDERING = "1";

/**
 * The ETag of every badge at the current state: the state generation moves with every change to
 * products, environments and state cells, so one tiny read decides a 304.
 */
export async function badgeEtag(deps: CatalogDeps): Promise<string> {
  return `"badge-${RENDERING}-${await readStateGeneration(deps.database)}"`;
}

/**
 * The badge of one product × environment cell: the version running there (the latest completed
 * deployment), coloured by the latest attempt. An unknown product or environment is a grey
 * "not found" badge, not an error, so a typo in a README shows up as a badge.
 */
export async function findBadge(
  deps: CatalogDeps,
  productRef: string,
  environmentRef: string,
  label?: string,
): Promise<Badge> {
  const [row] = await deps.database.db
    .select({ environment: environments.name, cell: currentState })
    .from(products)
    .innerJoin(environments, or(eq(environments.id, environmentRef), eq(environments.name, environmentRef)))
    .leftJoin(
      currentState,
      and(eq(currentState.product_id, products.id), eq(currentState.environment_id, environments.id)),
    )
    .where(or(eq(products.id, productRef), eq(products.name, productRef)))
    .limit(1);
  if (!row) {
    return { label: label ?? environmentRef, message: "not found", color: BADGE_COLORS.none, isError: true };
  }
  return { label: label ?? row.environment, isError: false, ...describeAttempt(row.cell ?? undefined) };
}

function describeAttempt(cell: Parameters<typeof describeCell>[0]): Pick<Badge, "message" | "color"> {
  const { current, in_progress, failed } = describeCell(cell);
  const running = current?.version;
  if (failed) {
    const attempt = `${failed.version} ${failed.status}`;
    return { message: running ? `${running} (${attempt})` : attempt, color: BADGE_COLORS.failed };
  }
  if (in_progress) {
    const attempt = `deploying ${in_progress.version}`;
    return { message: running ? `${running} (${attempt})` : attempt, color: BADGE_COLORS.inProgress };
  }
  if (running) return { message: running, color: BADGE_COLORS.completed };
  return { message: "no deployment", color: BADGE_COLORS.none };
}

/** The badge a refused request gets instead of the cell's, so an image still explains itself. */
export function refusalBadge(message: string): Badge {
  return { label: "versioner", message, color: BADGE_COLORS.none, isError: true };
}

export function renderBadgeSvg(badge: Badge, style?: BadgeStyle): string {
  // badge-maker refuses a `style` key whose value is undefined.
  const format = { label: badge.label, message: badge.message, color: badge.color };
  return makeBadge(style ? { ...format, style } : format);
}

export function toShieldsEndpoint(badge: Badge, style?: BadgeStyle): ShieldsEndpoint {
  return {
    schemaVersion: 1,
    label: badge.label,
    message: badge.message,
    color: badge.color,
    ...(badge.isError ? { isError: true } : {}),
    ...(style ? { style } : {}),
  };
}
