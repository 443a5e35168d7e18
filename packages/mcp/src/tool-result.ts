import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import { VersionerError } from "@versioner/client";

/** A tool's answer: a short summary for the model to read, and the same facts as structured content. */
export function toolResult(summary: string, structured: Record<string, unknown>): CallToolResult {
  return { content: [{ type: "text", text: summary }], structuredContent: structured };
}

/**
 * Runs a tool body and turns an API refusal or failure into a tool error the agent can read
 * (`isError`), as MCP asks, instead of a protocol error: the agent should see "forbidden" and why.
 */
export async function answering(body: () => Promise<CallToolResult>): Promise<CallToolResult> {
  try {
    return await body();
  } catch (error) {
    if (!(error instanceof VersionerError)) throw error;
    const refused = error.status === 403 ? "Refused: your role may not do this. " : "";
    return { isError: true, content: [{ type: "text", text: `${refused}${error.message}` }] };
  }
}

/** `?a=1&b=x` from the defined values (repeated for arrays); empty when none. */
export function queryString(params: Record<string, string | number | readonly string[] | undefined>): string {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    if (value === undefined) continue;
    for (const item of Array.isArray(value) ? value : [value]) search.append(key, String(item));
  }
  return search.size > 0 ? `?${search}` : "";
}

/** One path segment: names may hold spaces or slashes. */
export const segment = encodeURIComponent;
