import type { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import type { VersionerClient } from "@versioner/client";
import { z } from "zod";
import {
  APPROVAL_TYPES,
  DeploymentRequest,
  type PreflightResult,
  PreflightResult as PreflightShape,
} from "./governance-shapes.ts";
import { answering, toolResult } from "./tool-result.ts";

/** What would lift a block, by rule code (docs/governance.md); `when` is the block's retry_after. */
const UNBLOCK: Readonly<Record<string, string>> = {
  NO_DEPLOY_WINDOW: "Wait for the next deploy window to open.",
  ENVIRONMENT_LOCKED:
    "Someone allowed to lock environments (admin, release_manager, sre) must lift the lock, or wait until it expires.",
  FLOW_VIOLATION: "Deploy this version to the prerequisite environment(s) first.",
  INSUFFICIENT_SOAK_TIME: "Wait until the version has soaked long enough in the prerequisite environment.",
  QUALITY_APPROVAL_REQUIRED:
    "The version needs the missing approvals (POST /versions/{id}/approvals by a role allowed to grant each type).",
  APPROVAL_REQUIRED:
    "An approved deployment request is needed: create one (create_deployment_request), then people submit and approve it.",
  DEPLOYMENT_IN_PROGRESS: "Wait for the deployment running in that environment to finish.",
};

const Readiness = PreflightShape.extend({
  unblock: z
    .object({ action: z.string(), when: z.string().nullable() })
    .nullable()
    .describe("What would lift the hard blocker, and the earliest time it may pass (null when unknown)"),
});

function summarizeReadiness(subject: string, result: PreflightResult, unblock: string | null): string {
  const lines: string[] = [];
  if (result.allowed) {
    lines.push(`${subject}: allowed now (${result.rules_evaluated.length} rule(s) evaluated).`);
  } else if (result.block) {
    const block = result.block;
    const rule = typeof block.details?.rule_name === "string" ? ` (rule "${block.details.rule_name}")` : "";
    lines.push(`${subject}: BLOCKED by ${block.code}${rule}: ${block.message}`);
    if (unblock) lines.push(`To unblock: ${unblock}`);
    if (block.retry_after) lines.push(`Earliest it may pass: ${block.retry_after}.`);
  }
  for (const warning of result.warnings) {
    lines.push(
      `Warning (report-only rule "${warning.rule_name}"): ${warning.error_message ?? "would block if enforced"}`,
    );
  }
  return lines.join("\n");
}

/** Readiness (a dry-run preflight) and the one write an agent may make: a draft deployment request. */
export function registerGovernanceTools(server: McpServer, client: VersionerClient): void {
  server.registerTool(
    "check_deployment_readiness",
    {
      title: "Check deployment readiness",
      description:
        "Dry run of the deployment rules for deploying a version of a product to an environment: whether it is allowed " +
        "now, the hard blocker if any (deploy window, lock, promotion flow, soak time, approvals, a deployment in " +
        "progress), report-only warnings, and what would unblock it and when. Records nothing.",
      inputSchema: {
        product: z.string().min(1).describe("Product name"),
        version: z.string().min(1).describe("Version string"),
        environment: z.string().min(1).describe("Target environment name"),
      },
      outputSchema: Readiness.shape,
      annotations: { readOnlyHint: true, openWorldHint: false },
    },
    ({ product, version, environment }) =>
      answering(async () => {
        const result = await client.request<PreflightResult>("POST", "/preflight", {
          product_name: product,
          version,
          environment_name: environment,
        });
        const block = result.block;
        const action = block ? (UNBLOCK[block.code] ?? block.message) : null;
        const unblock = block && action ? { action, when: block.retry_after ?? null } : null;
        const summary = summarizeReadiness(`${product} ${version} → ${environment}`, result, action);
        return toolResult(summary, { ...result, unblock });
      }),
  );

  server.registerTool(
    "create_deployment_request",
    {
      title: "Create a deployment request (draft)",
      description:
        "Prepares a deployment request for people to review: a DRAFT naming the product, version, target environment " +
        "and the approval types it needs. It records no deployment and approves nothing; people submit and approve it " +
        "in Versioner. Needs a role that may manage deployment requests (admin, release_manager, product, developer).",
      inputSchema: {
        product: z.string().min(1).describe("Product name"),
        version: z.string().min(1).describe("Version string to deploy"),
        environment: z.string().min(1).describe("Target environment name"),
        approval_types: z
          .array(z.enum(APPROVAL_TYPES))
          .min(1)
          .describe("Sign-offs the request needs before it may be deployed"),
        name: z
          .string()
          .min(1)
          .max(255)
          .optional()
          .describe("A title (default: product version → environment)"),
        description: z.string().max(4096).optional().describe("Why, what changes, links for the approvers"),
      },
      outputSchema: DeploymentRequest.shape,
      annotations: {
        readOnlyHint: false,
        destructiveHint: false,
        idempotentHint: false,
        openWorldHint: false,
      },
    },
    (input) =>
      answering(async () => {
        const request = await client.request<DeploymentRequest>("POST", "/deployment-requests", input);
        const slots = request.slots.map((slot) => slot.type).join(", ");
        return toolResult(
          `Draft deployment request ${request.id} created: ${request.product} ${request.version} → ${request.environment}, needing ${slots}. People must submit and approve it; no deployment was recorded.`,
          request,
        );
      }),
  );
}
