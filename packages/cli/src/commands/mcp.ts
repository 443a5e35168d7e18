import { StdioServerTransport } from "@modelcontextprotocol/sdk/server/stdio.js";
import { createMcpServer } from "@versioner/mcp";
import { createClient } from "../connection.ts";
import { EXIT, type Io } from "../io.ts";

/**
 * `versioner mcp`: an MCP server on stdin/stdout for an agent's client to start. Every tool calls
 * the collector's API with the token given, so the token's role decides what the agent may do.
 * Stdout carries only the protocol; anything for people goes to stderr.
 */
export async function mcpCommand(values: Record<string, string | boolean>, io: Io): Promise<number> {
  // VERSIONER_PAT is the hosted MCP server's name for the personal token; the CLI's own name wins.
  const env = io.env.VERSIONER_API_KEY ? io.env : { ...io.env, VERSIONER_API_KEY: io.env.VERSIONER_PAT };
  const client = createClient(values, { ...io, env }, { requireKey: true });
  const server = createMcpServer(client);
  const closed = new Promise<void>((resolve) => {
    process.stdin.once("end", resolve);
    process.stdin.once("close", resolve);
  });
  await server.connect(new StdioServerTransport());
  await closed;
  await server.close();
  return EXIT.ok;
}
