import { existsSync } from "node:fs";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ciFreeEnv } from "../support/ci-free-env.ts";
import { api, CLI_ENTRY, type RunningCollector, startCollector } from "../support/collector.ts";

const TOOLS = [
  "check_deployment_readiness",
  "create_deployment_request",
  "diff_environments",
  "get_dora_metrics",
  "get_environment_status",
  "get_product_history",
  "get_state",
];

let collector: RunningCollector;
const tokens = { developer: "", qa: "" };
const open: Client[] = [];

/** A personal token made as its user would: sign in, then POST /tokens with the session. */
async function personalToken(role: "developer" | "qa"): Promise<string> {
  const email = `${role}@mcp.test`;
  const password = "correct horse battery";
  expect((await api(collector, "POST", "/users", { email, role, password })).status).toBe(201);
  const login = await fetch(`${collector.url}/auth/login`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ email, password }),
  });
  const cookie = login.headers.get("set-cookie")?.split(";")[0] ?? "";
  const { csrf_token } = (await login.json()) as { csrf_token: string };
  const created = await fetch(`${collector.url}/tokens`, {
    method: "POST",
    headers: { cookie, "x-csrf-token": csrf_token, "content-type": "application/json" },
    body: JSON.stringify({ name: "mcp" }),
  });
  expect(created.status).toBe(201);
  return ((await created.json()) as { token: string }).token;
}

/** `versioner mcp` (the built CLI bundle) as an MCP client's config would start it. */
async function stdioClient(env: Record<string, string>): Promise<Client> {
  const client = new Client({ name: "e2e-stdio", version: "1.0.0" });
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [CLI_ENTRY, "mcp"],
    env: ciFreeEnv({ VERSIONER_API_URL: collector.url, ...env }) as Record<string, string>,
    stderr: "pipe",
  });
  await client.connect(transport);
  open.push(client);
  return client;
}

async function httpClient(token: string): Promise<Client> {
  const client = new Client({ name: "e2e-http", version: "1.0.0" });
  const transport = new StreamableHTTPClientTransport(new URL(`${collector.url}/mcp`), {
    requestInit: { headers: { authorization: `Bearer ${token}` } },
  });
  await client.connect(transport);
  open.push(client);
  return client;
}

function text(result: Awaited<ReturnType<Client["callTool"]>>): string {
  return (result.content as { type: string; text?: string }[]).map((part) => part.text ?? "").join("\n");
}

async function deploy(version: string, environment: string, completedAt: string) {
  const res = await api(collector, "POST", "/deployment-events/", {
    product_name: "mcp-shop",
    version,
    environment_name: environment,
    status: "completed",
    completed_at: completedAt,
    scm_sha: `${version.replaceAll(".", "")}bbbbbbb`,
    scm_repository: "https://github.com/acme/mcp-shop",
  });
  expect(res.status, JSON.stringify(res.body)).toBe(200);
}

beforeAll(async () => {
  expect(existsSync(CLI_ENTRY), "build the CLI first (npm run build)").toBe(true);
  collector = await startCollector();
  await deploy("3.1.0", "staging", "2026-03-01T09:00:00Z");
  await deploy("3.1.0", "production", "2026-03-01T10:00:00Z");
  await deploy("3.2.0", "staging", "2026-03-02T09:00:00Z");
  const lock = await api(collector, "POST", "/environments/production/lock", { reason: "release freeze" });
  expect(lock.status).toBe(201);
  const rule = await api(collector, "POST", "/rules", {
    name: "qa sign-off",
    type: "version_approval",
    mode: "report_only",
    scope: { products: [], environments: ["production"] },
    settings: { required_types: ["qa"] },
  });
  expect(rule.status, JSON.stringify(rule.body)).toBe(201);
  tokens.developer = await personalToken("developer");
  tokens.qa = await personalToken("qa");
}, 60_000);

afterAll(async () => {
  await Promise.all(open.map((client) => client.close()));
  await collector.stop();
});

describe("versioner mcp (stdio) against the real collector", () => {
  it("lists every tool, each with a description and described inputs", async () => {
    const client = await stdioClient({ VERSIONER_API_KEY: tokens.developer });
    const { tools } = await client.listTools();
    expect(tools.map((tool) => tool.name).sort()).toEqual(TOOLS);
    for (const tool of tools) {
      expect(tool.description, tool.name).toBeTruthy();
      expect(tool.outputSchema, tool.name).toBeDefined();
      const properties = Object.values(tool.inputSchema.properties ?? {}) as { description?: string }[];
      expect(properties.length, tool.name).toBeGreaterThan(0);
      for (const property of properties) expect(property.description, tool.name).toBeTruthy();
    }
  });

  it("answers each read tool with a summary and structured content", async () => {
    const client = await stdioClient({ VERSIONER_API_KEY: tokens.developer });

    const state = await client.callTool({ name: "get_state", arguments: { product: ["mcp-shop"] } });
    expect(text(state)).toContain("mcp-shop (drift): staging: 3.2.0; production: 3.1.0");
    expect(state.structuredContent).toMatchObject({ products: [{ name: "mcp-shop", drift: true }] });

    const status = await client.callTool({
      name: "get_environment_status",
      arguments: { environment: "production" },
    });
    expect(text(status)).toContain('Locked: all products, "release freeze"');
    expect(status.structuredContent).toMatchObject({
      environment: { name: "production", type: "production" },
      locks: [{ reason: "release freeze" }],
      rules: [{ name: "qa sign-off", mode: "report_only" }],
      recent_deployments: [{ version: "3.1.0" }],
      open_deployment_requests: [],
    });

    const history = await client.callTool({
      name: "get_product_history",
      arguments: { product: "mcp-shop", limit: 10 },
    });
    expect(text(history)).toContain("3.2.0 → staging, completed 2026-03-02T09:00:00Z");
    expect(history.structuredContent).toMatchObject({
      product: { name: "mcp-shop" },
      deployments: [{ version: "3.2.0" }, { version: "3.1.0" }, { version: "3.1.0" }],
    });

    const diff = await client.callTool({
      name: "diff_environments",
      arguments: { a: "staging", b: "production" },
    });
    expect(text(diff)).toContain("mcp-shop: 3.2.0 / 3.1.0 (staging ahead)");
    expect(diff.structuredContent).toMatchObject({ summary: { differs: 1 }, items: [{ ahead: "a" }] });

    const dora = await client.callTool({
      name: "get_dora_metrics",
      arguments: { from: "2026-02-01T00:00:00Z", to: "2026-04-01T00:00:00Z", bucket: "month" },
    });
    expect(text(dora)).toContain("Deployment frequency: 1 deployments on 1 day(s)");
    expect(dora.structuredContent).toMatchObject({ deployment_frequency: { deployments: 1 } });
  });

  it("says what blocks a deployment and what would unblock it, recording nothing", async () => {
    const client = await stdioClient({ VERSIONER_API_KEY: tokens.developer });
    const readiness = await client.callTool({
      name: "check_deployment_readiness",
      arguments: { product: "mcp-shop", version: "3.2.0", environment: "production" },
    });
    expect(readiness.isError).toBeFalsy();
    expect(text(readiness)).toContain("BLOCKED by ENVIRONMENT_LOCKED");
    expect(text(readiness)).toContain('Warning (report-only rule "qa sign-off")');
    expect(readiness.structuredContent).toMatchObject({
      allowed: false,
      http_status: 423,
      block: { code: "ENVIRONMENT_LOCKED" },
      unblock: { action: expect.stringContaining("lift the lock") },
      warnings: [{ rule_name: "qa sign-off", evaluation_result: "failed" }],
    });
    const staging = await client.callTool({
      name: "check_deployment_readiness",
      arguments: { product: "mcp-shop", version: "3.2.0", environment: "staging" },
    });
    expect(staging.structuredContent).toMatchObject({ allowed: true, block: null, unblock: null });
    const deployments = await api(collector, "GET", "/deployments?product=mcp-shop");
    expect(deployments.body.items).toHaveLength(3);
  });

  it("creates a draft deployment request for a developer, and refuses qa's token", async () => {
    const developer = await stdioClient({ VERSIONER_API_KEY: tokens.developer });
    const created = await developer.callTool({
      name: "create_deployment_request",
      arguments: {
        product: "mcp-shop",
        version: "3.2.0",
        environment: "production",
        approval_types: ["qa", "security"],
        description: "Ship the checkout fix",
      },
    });
    expect(created.isError, text(created)).toBeFalsy();
    const request = created.structuredContent as { id: string; status: string };
    expect(request.status).toBe("draft");
    expect(text(created)).toContain("no deployment was recorded");
    const stored = await api(collector, "GET", `/deployment-requests/${request.id}`);
    expect(stored.body).toMatchObject({ status: "draft", product: "mcp-shop", environment: "production" });
    const status = await developer.callTool({
      name: "get_environment_status",
      arguments: { environment: "production" },
    });
    expect(status.structuredContent).toMatchObject({
      open_deployment_requests: [{ id: request.id, status: "draft" }],
    });
    expect(text(status)).toContain("Open deployment requests: mcp-shop 3.2.0 (draft)");

    // qa holds a token and approves versions, but may not create deployment requests.
    const qa = await stdioClient({ VERSIONER_PAT: tokens.qa });
    const refused = await qa.callTool({
      name: "create_deployment_request",
      arguments: { product: "mcp-shop", version: "3.2.0", environment: "production", approval_types: ["qa"] },
    });
    expect(refused.isError).toBe(true);
    expect(text(refused)).toMatch(/^Refused: .*HTTP 403/);
    const requests = await api(collector, "GET", "/deployment-requests?product=mcp-shop");
    expect(requests.body.items).toHaveLength(1);
    // The same token reads: role checks refuse only what the role may not do.
    const state = await qa.callTool({ name: "get_state", arguments: {} });
    expect(state.isError).toBeFalsy();
  });

  it("exits with a usage error when no token is configured", async () => {
    const client = new Client({ name: "e2e-stdio", version: "1.0.0" });
    const transport = new StdioClientTransport({
      command: process.execPath,
      args: [CLI_ENTRY, "mcp"],
      env: ciFreeEnv({ VERSIONER_API_URL: collector.url }) as Record<string, string>,
      stderr: "pipe",
    });
    let stderr = "";
    transport.stderr?.on("data", (chunk) => {
      stderr += chunk;
    });
    await expect(client.connect(transport)).rejects.toThrow();
    expect(stderr).toContain("The API key is missing");
  });
});

describe("POST /mcp (Streamable HTTP) on the real collector", () => {
  it("serves the same tools with the caller's token and role", async () => {
    const developer = await httpClient(tokens.developer);
    const { tools } = await developer.listTools();
    expect(tools.map((tool) => tool.name).sort()).toEqual(TOOLS);
    const state = await developer.callTool({ name: "get_state", arguments: { environment: ["staging"] } });
    expect(state.structuredContent).toMatchObject({
      environments: [{ name: "staging" }],
      products: [{ name: "mcp-shop", cells: [{ current: { version: "3.2.0" } }] }],
    });
    const readiness = await developer.callTool({
      name: "check_deployment_readiness",
      arguments: { product: "mcp-shop", version: "3.2.0", environment: "production" },
    });
    expect(readiness.structuredContent).toMatchObject({
      allowed: false,
      block: { code: "ENVIRONMENT_LOCKED" },
    });
    const resource = await developer.readResource({ uri: "versioner://products/mcp-shop" });
    expect(JSON.parse((resource.contents[0] as { text: string }).text)).toMatchObject({ name: "mcp-shop" });

    const qa = await httpClient(tokens.qa);
    const refused = await qa.callTool({
      name: "create_deployment_request",
      arguments: { product: "mcp-shop", version: "3.2.0", environment: "staging", approval_types: ["qa"] },
    });
    expect(refused.isError).toBe(true);
    expect(text(refused)).toContain("Refused");
  });

  it("answers 401 without a valid token", async () => {
    const res = await fetch(`${collector.url}/mcp`, {
      method: "POST",
      headers: { "content-type": "application/json", accept: "application/json, text/event-stream" },
      body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tools/list" }),
    });
    expect(res.status).toBe(401);
    await expect(httpClient("pat_not-a-token")).rejects.toThrow();
  });
});
