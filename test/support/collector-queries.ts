// Read helpers for the CI wrapper end-to-end tests: what the collector recorded, through its API.
import { api } from "./collector.ts";

/** GET a collector endpoint as the bootstrap admin and return its JSON; throws on any other status than 2xx. */
export async function collectorGet<T>(collector: { url: string; token: string }, path: string): Promise<T> {
  const response = await api(collector, "GET", path);
  if (response.status < 200 || response.status >= 300) {
    throw new Error(`GET ${path}: ${response.status} ${JSON.stringify(response.body)}`);
  }
  return response.body as T;
}

export interface DeploymentItem {
  id: string;
  status: string;
  version: string;
  environment_name: string;
  product_name: string;
  invoke_id: string | null;
  started_at: string | null;
  completed_at: string | null;
  deployed_by: string | null;
  deployed_by_email: string | null;
  deploy_url: string | null;
  source_system: string | null;
  extra_metadata: Record<string, unknown>;
}

export async function listDeployments(
  collector: { url: string; token: string },
  product: string,
  environment: string,
): Promise<DeploymentItem[]> {
  const query = new URLSearchParams({ product, environment });
  const page = await collectorGet<{ items: DeploymentItem[] }>(collector, `/deployments?${query}`);
  return page.items;
}

export interface BuildRecord {
  status: string;
  build_number: string | null;
  build_url: string | null;
  source_system: string | null;
  scm_repository?: string | null;
  extra_metadata: Record<string, unknown>;
}

/** The build records of `product` at `version` (empty when the version is unknown). */
export async function listBuilds(
  collector: { url: string; token: string },
  product: string,
  version: string,
): Promise<BuildRecord[]> {
  const versions = await collectorGet<{ items: { id: string; version: string }[] }>(
    collector,
    `/versions?${new URLSearchParams({ product })}`,
  );
  const found = versions.items.find((item) => item.version === version);
  if (!found) return [];
  const detail = await collectorGet<{ builds: BuildRecord[] }>(collector, `/versions/${found.id}`);
  return detail.builds;
}
