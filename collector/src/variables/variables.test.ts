import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestApp, type TestApp, unique } from "../testing/test-app.ts";

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(() => t.close());

async function auditRows(targetName: string) {
  const result = await t.database.client.execute({
    sql: "SELECT action, before, after FROM audit_log WHERE target_type = 'variable' AND target_name = ? ORDER BY at, rowid",
    args: [targetName],
  });
  return result.rows.map((row) => ({
    action: row.action as string,
    before: row.before ? JSON.parse(row.before as string) : null,
    after: row.after ? JSON.parse(row.after as string) : null,
  }));
}

function key() {
  return unique("var").replace(/-/g, "_");
}

describe("org variables", () => {
  it("creates, reads, updates and deletes, each with an audit entry", async () => {
    const k = key();
    const created = await t.call("POST", "/variables", { key: k, value: "https://rundeck.example.com" });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      key: k,
      value: "https://rundeck.example.com",
      secret: false,
      scope: "org",
    });
    expect((await t.call("GET", `/variables/${k}`)).body.value).toBe("https://rundeck.example.com");
    expect((await t.call("GET", "/variables")).body.items.map((v: { key: string }) => v.key)).toContain(k);
    const updated = await t.call("PATCH", `/variables/${k}`, { value: "https://other.example.com" });
    expect(updated.body.value).toBe("https://other.example.com");
    expect((await t.call("DELETE", `/variables/${k}`)).status).toBe(204);
    expect((await t.call("GET", `/variables/${k}`)).status).toBe(404);
    const audit = await auditRows(k);
    expect(audit.map((a) => a.action)).toEqual(["variable.create", "variable.update", "variable.delete"]);
    expect(audit[1]?.after.value).toBe("https://other.example.com");
  });

  it("enforces the key rule and reserves vi_ with 422", async () => {
    for (const bad of ["Upper", "1abc", "with-dash", "", "a b"]) {
      const res = await t.call("POST", "/variables", { key: bad, value: "x" });
      expect(res.status, bad).toBe(422);
      expect(res.body.detail[0].loc).toEqual(["body", "key"]);
    }
    const reserved = await t.call("POST", "/variables", { key: "vi_version", value: "x" });
    expect(reserved.status).toBe(422);
    expect(reserved.body.detail[0].msg).toMatch(/reserved/);
  });

  it("refuses a duplicate key in the same scope with 409", async () => {
    const k = key();
    await t.call("POST", "/variables", { key: k, value: "1" });
    const again = await t.call("POST", "/variables", { key: k, value: "2" });
    expect(again.status).toBe(409);
    expect(again.body.code).toBe("NAME_TAKEN");
  });
});

describe("product variables", () => {
  it("live under the product, by name or id, and may reuse an org key", async () => {
    const product = unique("var-product");
    const created = await t.call("POST", "/products", { name: product });
    const k = key();
    await t.call("POST", "/variables", { key: k, value: "org" });
    const own = await t.call("POST", `/products/${product}/variables`, { key: k, value: "product" });
    expect(own.status).toBe(201);
    expect(own.body).toMatchObject({ scope: "product", product_id: created.body.id, value: "product" });
    const byId = await t.call("GET", `/products/${created.body.id}/variables/${k}`);
    expect(byId.body.value).toBe("product");
    expect((await t.call("GET", `/products/${product}/variables`)).body.items).toHaveLength(1);
    expect((await t.call("GET", `/variables/${k}`)).body.value).toBe("org");
    expect((await t.call("PATCH", `/products/${product}/variables/${k}`, { value: "p2" })).body.value).toBe(
      "p2",
    );
    expect((await t.call("DELETE", `/products/${product}/variables/${k}`)).status).toBe(204);
    expect((await t.call("GET", "/products/no-such-product/variables")).status).toBe(404);
  });

  it("are deleted with their product", async () => {
    const product = unique("var-doomed");
    const created = await t.call("POST", "/products", { name: product });
    await t.call("POST", `/products/${product}/variables`, {
      key: "base_url",
      value: "https://x.example.com",
    });
    await t.call("DELETE", `/products/${product}?confirm=${product}`);
    const rows = await t.database.client.execute({
      sql: "SELECT id FROM variables WHERE product_id = ?",
      args: [created.body.id],
    });
    expect(rows.rows).toHaveLength(0);
  });
});

describe("secret variables", () => {
  it("are write-only: masked in every response, absent from audit entries and logs", async () => {
    const k = key();
    const secret = `s3cr3t-${unique("value")}`;
    const rotated = `r0tated-${unique("value")}`;
    const responses = [
      await t.call("POST", "/variables", { key: k, value: secret, secret: true }),
      await t.call("GET", `/variables/${k}`),
      await t.call("GET", "/variables"),
      await t.call("PATCH", `/variables/${k}`, { value: rotated }),
      await t.call("PATCH", `/variables/${k}`, { description: "rotated" }),
    ];
    expect(responses[0]?.status).toBe(201);
    expect(responses[0]?.body).toMatchObject({ key: k, value: "********", secret: true });
    expect(responses[1]?.body.value).toBe("********");
    for (const res of responses) {
      expect(JSON.stringify(res.body)).not.toContain(secret);
      expect(JSON.stringify(res.body)).not.toContain(rotated);
    }
    await t.call("DELETE", `/variables/${k}`);
    const audit = await t.database.client.execute("SELECT * FROM audit_log");
    const dump = JSON.stringify(audit.rows);
    expect(dump).toContain(k);
    expect(dump).not.toContain(secret);
    expect(dump).not.toContain(rotated);
    expect(t.logLines.join("\n")).not.toContain(secret);
    expect(t.logLines.join("\n")).not.toContain(rotated);
  });

  it("need a new value to stop being secret", async () => {
    const k = key();
    await t.call("POST", "/variables", { key: k, value: "hidden", secret: true });
    const reveal = await t.call("PATCH", `/variables/${k}`, { secret: false });
    expect(reveal.status).toBe(422);
    expect(reveal.body.detail[0].loc).toEqual(["body", "value"]);
    const replaced = await t.call("PATCH", `/variables/${k}`, { secret: false, value: "public" });
    expect(replaced.body).toMatchObject({ secret: false, value: "public" });
  });

  it("are sealed at rest, and keep their value across edits that do not change it", async () => {
    const k = key();
    await t.call("POST", "/variables", { key: k, value: "kept-secret-value", secret: true });
    const storedValue = async () =>
      String(
        (await t.database.client.execute({ sql: "SELECT value FROM variables WHERE key = ?", args: [k] }))
          .rows[0]?.value,
      );
    const sealed = await storedValue();
    expect(sealed).toMatch(/^enc:v1:[0-9a-f]{8}:/);
    expect(sealed).not.toContain("kept-secret-value");
    expect(t.database.secrets.open(sealed)).toBe("kept-secret-value");
    // An edit of the description reseals the same value, never the sealed text itself.
    expect((await t.call("PATCH", `/variables/${k}`, { description: "still secret" })).status).toBe(200);
    expect(t.database.secrets.open(await storedValue())).toBe("kept-secret-value");
  });
});

describe("permissions", () => {
  it("needs variables.manage to write and catalog.read to read", async () => {
    const read = await t.call("POST", "/api-keys", { name: unique("reader"), scope: "read" });
    const token = read.body.token as string;
    expect((await t.call("GET", "/variables", undefined, { token })).status).toBe(200);
    const denied = await t.call("POST", "/variables", { key: key(), value: "x" }, { token });
    expect(denied.status).toBe(403);
    expect(JSON.stringify(denied.body)).toContain("variables.manage");
  });
});
