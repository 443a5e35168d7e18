import { WebStandardStreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/webStandardStreamableHttp.js";
import { VersionerClient } from "@versioner/client";
import { createMcpServer } from "@versioner/mcp";
import { Hono } from "hono";
import { bearerToken } from "../auth/tokens.ts";
import { UnauthorizedError } from "../errors.ts";
import type { AppEnv } from "../http/app-env.ts";

export const MCP_PATH = "/mcp";

// In-process calls never leave the process; the host only makes the URL well-formed.
const IN_PROCESS_ORIGIN = "http://collector.internal";

/**
 * `POST /mcp`: the MCP server over Streamable HTTP, stateless (a fresh server per request, no
 * session to keep or share between collector instances), answering in JSON. Each tool calls this
 * collector's own API in-process with the caller's bearer token, so the same role checks apply.
 */
export function createMcpRoutes(callApi: (request: Request) => Promise<Response>): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  app.post(MCP_PATH, async (c) => {
    const token = bearerToken(c.req.header("authorization"));
    // A session cookie is not forwarded: MCP clients send tokens, and a cookie would make /mcp a CSRF target.
    if (!token)
      throw new UnauthorizedError("/mcp takes 'Authorization: Bearer <token>', not a session cookie");
    const client = new VersionerClient({
      apiUrl: IN_PROCESS_ORIGIN,
      apiKey: token,
      maxAttempts: 1,
      userAgent: `versioner-mcp (${c.get("requestId")})`,
      fetch: (input, init) => callApi(new Request(input, init)),
    });
    const server = createMcpServer(client);
    const transport = new WebStandardStreamableHTTPServerTransport({ enableJsonResponse: true });
    await server.connect(transport);
    try {
      return await transport.handleRequest(c.req.raw);
    } finally {
      await server.close();
    }
  });
  // Stateless: no stream for server-initiated messages (GET) and no session to end (DELETE).
  app.on(["GET", "DELETE"], MCP_PATH, (c) => {
    c.header("Allow", "POST");
    const detail = "/mcp is stateless: send JSON-RPC requests with POST";
    return c.json({ detail, code: "METHOD_NOT_ALLOWED", request_id: c.get("requestId") }, 405);
  });
  return app;
}
