import type { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import type { Page, VersionerClient } from "@versioner/client";
import {
  Deployment,
  DORA_BUCKETS,
  DoraMetrics,
  ENVIRONMENT_TYPES,
  Environment,
  EnvironmentDiff,
  Product,
  StateResponse,
  Version,
} from "@versioner/schema";
import { z } from "zod";
import { DeploymentRequest, Lock, OPEN_REQUEST_STATUSES, Rule } from "./governance-shapes.ts";
import {
  describeDeployment,
  summarizeDiff,
  summarizeDora,
  summarizeEnvironmentStatus,
  summarizeState,
} from "./summaries.ts";
import { answering, queryString, segment, toolResult } from "./tool-result.ts";

// Open requests per status: a queue longer than this for one environment is shown in the dashboard.
const REQUESTS_LIMIT = 100;
const READ_ONLY = { readOnlyHint: true, openWorldHint: false } as const;
const Names = (what: string) =>
  z.array(z.string().min(1)).optional().describe(`Only these ${what} (names or ids); any of them matches`);

export const EnvironmentStatus = z.object({
  environment: Environment,
  running: StateResponse.shape.products,
  recent_deployments: z.array(Deployment),
  locks: z.array(Lock),
  rules: z.array(Rule),
  open_deployment_requests: z.array(DeploymentRequest),
});
export type EnvironmentStatus = z.infer<typeof EnvironmentStatus>;

const ProductHistory = z.object({
  product: Product,
  deployments: z.array(Deployment),
  versions: z.array(Version),
  next_cursor: z.string().nullable(),
});

/** A rule applies when it is not disabled and its scope names the environment (and product) or is empty. */
function applies(rule: Rule, environment: string, product: string | undefined): boolean {
  const inScope = (names: string[], name: string | undefined) =>
    names.length === 0 || name === undefined || names.includes(name);
  return (
    rule.mode !== "disabled" &&
    inScope(rule.scope.environments, environment) &&
    inScope(rule.scope.products, product)
  );
}

/** The read tools: what runs where, one environment in depth, a product's history, diffs and DORA. */
export function registerReadTools(server: McpServer, client: VersionerClient): void {
  server.registerTool(
    "get_state",
    {
      title: "What runs where",
      description:
        "The product × environment matrix: for each product, the version currently running in each environment, " +
        "when and by whom it was deployed, anything in progress or failed, and whether versions drift between environments.",
      inputSchema: {
        product: Names("products"),
        environment: Names("environments"),
        type: z.array(z.enum(ENVIRONMENT_TYPES)).optional().describe("Only environments of these types"),
      },
      outputSchema: StateResponse.shape,
      annotations: READ_ONLY,
    },
    ({ product, environment, type }) =>
      answering(async () => {
        const state = await client.getState({
          product: product ?? [],
          environment: environment ?? [],
          type: type ?? [],
        });
        return toolResult(summarizeState(state), state);
      }),
  );

  server.registerTool(
    "get_environment_status",
    {
      title: "Environment status",
      description:
        "Everything about one environment: what runs there now, the latest deployments, active locks, the deployment " +
        "rules that apply to it, and the deployment requests still open for it.",
      inputSchema: {
        environment: z.string().min(1).describe("Environment name or id"),
        product: z.string().min(1).optional().describe("Only this product (name or id)"),
      },
      outputSchema: EnvironmentStatus.shape,
      annotations: READ_ONLY,
    },
    ({ environment, product }) =>
      answering(async () => {
        // Rule scopes and locks name products and environments: resolve ids given to names first.
        const [env, found] = await Promise.all([
          client.request<Environment>("GET", `/environments/${segment(environment)}`),
          product ? client.request<Product>("GET", `/products/${segment(product)}`) : undefined,
        ]);
        const productName = found?.name;
        const openRequests = OPEN_REQUEST_STATUSES.map((status) =>
          client.request<Page<DeploymentRequest>>(
            "GET",
            `/deployment-requests${queryString({ environment: env.id, product: found?.id, status, limit: REQUESTS_LIMIT })}`,
          ),
        );
        const [state, recent, locks, rules, ...requests] = await Promise.all([
          client.getState({ environment: [env.id], product: found ? [found.id] : [] }),
          client.listDeployments({ environment: env.id, ...(found ? { product: found.id } : {}), limit: 10 }),
          client.request<{ items: Lock[] }>("GET", "/locks"),
          client.request<{ items: Rule[] }>("GET", "/rules"),
          ...openRequests,
        ]);
        const status: EnvironmentStatus = {
          environment: env,
          running: state.products,
          recent_deployments: recent.items,
          locks: locks.items.filter(
            (lock) =>
              lock.environment === env.name &&
              (!productName || !lock.product || lock.product === productName),
          ),
          rules: rules.items.filter((rule) => applies(rule, env.name, productName)),
          open_deployment_requests: requests.flatMap((page) => page.items),
        };
        return toolResult(summarizeEnvironmentStatus(status), status);
      }),
  );

  server.registerTool(
    "get_product_history",
    {
      title: "Product history",
      description:
        "A product's deployments, newest first (optionally in one environment or since a time), and its latest versions " +
        "(builds) with their commits.",
      inputSchema: {
        product: z.string().min(1).describe("Product name or id"),
        environment: z
          .string()
          .min(1)
          .optional()
          .describe("Only deployments to this environment (name or id)"),
        since: z.iso
          .datetime({ offset: true })
          .optional()
          .describe("Only deployments created at or after (RFC 3339)"),
        limit: z
          .number()
          .int()
          .min(1)
          .max(100)
          .default(20)
          .describe("How many deployments and versions (default 20)"),
        cursor: z.string().optional().describe("The next_cursor of a previous answer, for older deployments"),
      },
      outputSchema: ProductHistory.shape,
      annotations: READ_ONLY,
    },
    ({ product, environment, since, limit, cursor }) =>
      answering(async () => {
        const found = await client.request<Product>("GET", `/products/${segment(product)}`);
        const [deployments, versions] = await Promise.all([
          client.listDeployments({
            product: found.id,
            ...(environment ? { environment } : {}),
            ...(since ? { since } : {}),
            ...(cursor ? { cursor } : {}),
            limit,
          }),
          client.request<Page<Version>>("GET", `/versions${queryString({ product: found.id, limit })}`),
        ]);
        const lines = deployments.items.map((deployment) => `- ${describeDeployment(deployment)}`);
        const summary = [
          `${found.name}: ${deployments.items.length} deployment(s)${environment ? ` to ${environment}` : ""}, ${versions.items.length} latest version(s).`,
          ...lines,
          ...(deployments.next_cursor ? ["Older deployments: call again with the next_cursor."] : []),
        ].join("\n");
        return toolResult(summary, {
          product: found,
          deployments: deployments.items,
          versions: versions.items,
          next_cursor: deployments.next_cursor,
        });
      }),
  );

  server.registerTool(
    "diff_environments",
    {
      title: "Diff two environments",
      description:
        "What differs between two environments: products whose current versions differ or that run in only one, which " +
        "side is ahead, and a compare link between the commits when the repository is known.",
      inputSchema: {
        a: z.string().min(1).describe("First environment (name or id), e.g. staging"),
        b: z.string().min(1).describe("Second environment (name or id), e.g. production"),
        product: z.string().min(1).optional().describe("Only this product (name or id)"),
        team: z.string().min(1).optional().describe("Only products whose extra_metadata.team equals this"),
      },
      outputSchema: EnvironmentDiff.shape,
      annotations: READ_ONLY,
    },
    ({ a, b, product, team }) =>
      answering(async () => {
        const diff = await client.getEnvironmentDiff(a, b, { product, team });
        return toolResult(summarizeDiff(diff), diff);
      }),
  );

  server.registerTool(
    "get_dora_metrics",
    {
      title: "DORA metrics",
      description:
        "DORA's four keys (deployment frequency, lead time for changes, change failure rate, time to restore) for the " +
        "production environments over a window, with their performance bands and per-bucket figures.",
      inputSchema: {
        product: z.string().min(1).optional().describe("Only this product (name or id)"),
        team: z.string().min(1).optional().describe("Only products whose extra_metadata.team equals this"),
        environment: z
          .string()
          .min(1)
          .optional()
          .describe(
            "Comma-separated environment names or ids to measure (default: the production environments)",
          ),
        from: z.iso
          .datetime({ offset: true })
          .optional()
          .describe("Window start, inclusive (default: to − 90 days)"),
        to: z.iso.datetime({ offset: true }).optional().describe("Window end, exclusive (default: now)"),
        bucket: z.enum(DORA_BUCKETS).optional().describe("Bucket size: day, week (default) or month"),
      },
      outputSchema: DoraMetrics.shape,
      annotations: READ_ONLY,
    },
    (query) =>
      answering(async () => {
        const metrics = await client.getDoraMetrics(query);
        return toolResult(summarizeDora(metrics), metrics);
      }),
  );
}
