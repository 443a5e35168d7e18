import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { APPROVAL_TYPES as MCP_APPROVAL_TYPES } from "@versioner/mcp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { APPROVAL_TYPES } from "../governance/approval-types.ts";
import { createTestApp, type TestApp, unique } from "../testing/test-app.ts";

let t: TestApp;
const product = unique("mcp-svc");
const staging = unique("mcp-staging");
const production = unique("mcp-prod");
const other = unique("mcp-other");

/** An MCP client talking to /mcp of the in-memory app with `token`. */
async function connect(token: string): Promise<Client> {
  const client = new Client({ name: "mcp-test", version: "1.0.0" });
  const transport = new StreamableHTTPClientTransport(new URL("http://collector.test/mcp"), {
    requestInit: { headers: { authorization: `Bearer ${token}` } },
    fetch: async (url, init) => t.app.request(String(url), init),
  });
  await client.connect(transport);
  return client;
}

beforeAll(async () => {
  t = await createTestApp();
  for (const [environment, version] of [
    [staging, "2.0.0"],
    [production, "1.0.0"],
  ] as const) {
    const res = await t.call("POST", "/deployment-events", {
      product_name: product,
      version,
      environment_name: environment,
      status: "completed",
    });
    expect(res.status).toBe(200);
  }
  const lock = await t.call("POST", `/environments/${production}/lock`, { reason: "quarter close" });
  expect(lock.status).toBe(201);
  const deployed = await t.call("POST", "/deployment-events", {
    product_name: other,
    version: "1",
    environment_name: staging,
    status: "completed",
  });
  expect(deployed.status).toBe(200);
  const productLock = await t.call("POST", `/environments/${staging}/lock`, {
    reason: "migration",
    product: other,
  });
  expect(productLock.status).toBe(201);
});
afterAll(() => t.close());

describe("POST /mcp", () => {
  it("answers get_state with a text summary and the state as structured content", async () => {
    const client = await connect("test-admin-token");
    const result = await client.callTool({ name: "get_state", arguments: { product: [product] } });
    expect(result.isError).toBeFalsy();
    const text = (result.content as { type: string; text: string }[])[0]?.text ?? "";
    expect(text).toContain(`${product} (drift)`);
    const state = result.structuredContent as { products: { name: string; drift: boolean }[] };
    expect(state.products).toEqual([expect.objectContaining({ name: product, drift: true })]);
    await client.close();
  });

  it("shows the lock in the environment's status and as the readiness blocker", async () => {
    const client = await connect("test-admin-token");
    const status = await client.callTool({
      name: "get_environment_status",
      arguments: { environment: production },
    });
    expect(status.structuredContent).toMatchObject({
      environment: { name: production },
      locks: [{ environment: production, reason: "quarter close" }],
    });
    const readiness = await client.callTool({
      name: "check_deployment_readiness",
      arguments: { product, version: "2.0.0", environment: production },
    });
    expect(readiness.structuredContent).toMatchObject({
      allowed: false,
      block: { code: "ENVIRONMENT_LOCKED" },
      unblock: { action: expect.stringContaining("lift the lock") },
    });
    expect((readiness.content as { text: string }[])[0]?.text).toContain("BLOCKED by ENVIRONMENT_LOCKED");
    await client.close();
  });

  it("filters an environment's status by product, given by id or name", async () => {
    const client = await connect("test-admin-token");
    const { body } = await t.call("GET", `/products/${product}`);
    const mine = await client.callTool({
      name: "get_environment_status",
      arguments: { environment: staging, product: body.id },
    });
    expect(mine.structuredContent).toMatchObject({ locks: [], running: [{ name: product }] });
    const theirs = await client.callTool({
      name: "get_environment_status",
      arguments: { environment: staging, product: other },
    });
    expect(theirs.structuredContent).toMatchObject({ locks: [{ product: other, reason: "migration" }] });
    expect((theirs.content as { text: string }[])[0]?.text).toContain(`Locked: ${other}, "migration"`);
    await client.close();
  });

  it("lists and reads products and environments as resources", async () => {
    const client = await connect("test-admin-token");
    const { resourceTemplates } = await client.listResourceTemplates();
    expect(resourceTemplates.map((template) => template.uriTemplate).sort()).toEqual([
      "versioner://environments/{name}",
      "versioner://products/{name}",
    ]);
    const { resources } = await client.listResources();
    expect(resources.map((resource) => resource.uri)).toContain(`versioner://products/${product}`);
    const read = await client.readResource({ uri: `versioner://environments/${staging}` });
    const body = JSON.parse((read.contents[0] as { text: string }).text);
    expect(body).toMatchObject({ name: staging });
    expect(body.running).toContainEqual(expect.objectContaining({ product, version: "2.0.0" }));
    await client.close();
  });

  it("refuses a request without a bearer token, and GET (no session stream in stateless mode)", async () => {
    const anonymous = await t.call(
      "POST",
      "/mcp",
      { jsonrpc: "2.0", id: 1, method: "tools/list" },
      { token: null },
    );
    expect(anonymous.status).toBe(401);
    const get = await t.call("GET", "/mcp");
    expect(get.status).toBe(405);
    expect(get.headers.get("allow")).toBe("POST");
  });

  it("offers exactly the approval types the API accepts", () => {
    expect([...MCP_APPROVAL_TYPES]).toEqual([...APPROVAL_TYPES]);
  });
});
