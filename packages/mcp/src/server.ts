import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import type { VersionerClient } from "@versioner/client";
import packageJson from "../package.json" with { type: "json" };
import { registerGovernanceTools } from "./governance-tools.ts";
import { registerReadTools } from "./read-tools.ts";
import { registerResources } from "./resources.ts";

const INSTRUCTIONS =
  "Versioner knows which version of which product runs in which environment, since when and who put it there. " +
  "Use get_state for the overview, get_environment_status before touching an environment, and " +
  "check_deployment_readiness before proposing a deployment. You may prepare a deployment request (a draft that " +
  "people approve); you never record or trigger a deployment. Product and environment names are case-sensitive.";

/**
 * The Versioner MCP server: every tool and resource is a call of the collector's HTTP API through
 * `client`, so the caller's credential decides what it may read and do, exactly as for the API.
 */
export function createMcpServer(client: VersionerClient): McpServer {
  const server = new McpServer(
    { name: "versioner", title: "Versioner", version: packageJson.version },
    { instructions: INSTRUCTIONS },
  );
  registerReadTools(server, client);
  registerGovernanceTools(server, client);
  registerResources(server, client);
  return server;
}
