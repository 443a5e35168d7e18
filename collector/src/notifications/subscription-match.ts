import type { DomainEvent } from "../events/domain-events.ts";

/** The filterable side of a subscription; an empty list means "any". */
export interface SubscriptionFilter {
  event_types: string[];
  products: string[];
  environments: string[];
  environment_types: string[];
  statuses: string[];
}

/** `deployment.completed`, `deployment.*` or `*`. */
function typeMatches(pattern: string, type: string): boolean {
  if (pattern === "*" || pattern === type) return true;
  return pattern.endsWith(".*") && type.startsWith(pattern.slice(0, -1));
}

function within(list: string[], value: string | undefined | null, caseless = false): boolean {
  if (list.length === 0) return true;
  if (!value) return false;
  return caseless ? list.some((item) => item.toLowerCase() === value.toLowerCase()) : list.includes(value);
}

/**
 * Whether an event passes a subscription. A filter on products or environments never matches an
 * event that has none (a release-wide event is not "about" production), so a subscription scoped
 * to production hears only production.
 */
export function subscriptionMatches(filter: SubscriptionFilter, event: DomainEvent): boolean {
  if (!filter.event_types.some((pattern) => typeMatches(pattern, event.type))) return false;
  if (!within(filter.products, event.product_name)) return false;
  if (!within(filter.environments, event.environment_name)) return false;
  if (!within(filter.environment_types, event.environment_type)) return false;
  return within(filter.statuses, event.status ?? event.type.split(".")[1], true);
}
