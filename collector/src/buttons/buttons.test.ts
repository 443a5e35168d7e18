import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestApp, type TestApp, unique } from "../testing/test-app.ts";

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(() => t.close());

/** Environments of one test, with names no other test uses. */
async function environments(...types: Array<"dev" | "test" | "staging" | "production">) {
  const names: string[] = [];
  for (const type of types) {
    const name = unique(type);
    await t.call("POST", "/environments", { name, type });
    names.push(name);
  }
  return names;
}

async function build(product: string, version: string, extra: object = {}) {
  return t.call("POST", "/build-events", { product_name: product, version, status: "completed", ...extra });
}

function deploy(product: string, version: string, environment: string, status = "completed") {
  return t.call("POST", "/deployment-events", {
    product_name: product,
    version,
    environment_name: environment,
    status,
  });
}

function preview(product: string, version: string, environment: string, url_template: string) {
  return t.call("POST", "/deployment-buttons/preview", {
    product_name: product,
    version,
    environment_name: environment,
    url_template,
  });
}

describe("rendering examples from the docs", () => {
  it("renders Jenkins, GitLab and Rundeck URLs", async () => {
    const product = unique("render");
    const [staging] = await environments("staging");
    await build(product, "1.2.3", { build_number: 42, scm_sha: "a".repeat(40) });
    const jenkins = await preview(
      product,
      "1.2.3",
      staging as string,
      "https://jenkins.example.com/job/deploy/buildWithParameters?VERSION={vi_version}&ENV={vi_environment_name}",
    );
    expect(jenkins.status).toBe(200);
    expect(jenkins.body.url).toBe(
      `https://jenkins.example.com/job/deploy/buildWithParameters?VERSION=1.2.3&ENV=${staging}`,
    );
    const gitlab = await preview(
      product,
      "1.2.3",
      staging as string,
      "https://gitlab.example.com/group/app/-/pipelines/new?ref=main&var[VERSION]={vi_version}&var[SHA]={vi_sha}",
    );
    expect(gitlab.body.url).toBe(
      `https://gitlab.example.com/group/app/-/pipelines/new?ref=main&var[VERSION]=1.2.3&var[SHA]=${"a".repeat(40)}`,
    );
    const rundeck = await preview(
      product,
      "1.2.3",
      staging as string,
      "https://rundeck.example.com/project/ops/job/show/42?opt.version={vi_version}&opt.build={vi_build_number}",
    );
    expect(rundeck.body.url).toBe(
      "https://rundeck.example.com/project/ops/job/show/42?opt.version=1.2.3&opt.build=42",
    );
  });

  it("fills rundeck_base_url from the org, overridden by the product", async () => {
    const product = unique("override");
    const other = unique("override-other");
    const [prod] = await environments("production");
    await build(product, "2.0.0");
    await build(other, "2.0.0");
    const base = unique("base").replace(/-/g, "_");
    await t.call("POST", "/variables", { key: base, value: "https://rundeck.example.com" });
    await t.call("POST", `/products/${product}/variables`, {
      key: base,
      value: "https://rundeck.eu.example.com",
    });
    const template = `{${base}}/project/ops/job/run?opt.version={vi_version}&opt.product={vi_product_name}`;
    const own = await preview(product, "2.0.0", prod as string, template);
    expect(own.body.url).toBe(
      `https://rundeck.eu.example.com/project/ops/job/run?opt.version=2.0.0&opt.product=${product}`,
    );
    const fallback = await preview(other, "2.0.0", prod as string, template);
    expect(fallback.body.url).toBe(
      `https://rundeck.example.com/project/ops/job/run?opt.version=2.0.0&opt.product=${other}`,
    );
  });

  it("URL-encodes values inside the query string", async () => {
    const product = unique("encode");
    const [dev] = await environments("dev");
    await build(product, "1.0.0+exp sha/1");
    const res = await preview(
      product,
      "1.0.0+exp sha/1",
      dev as string,
      "https://ci.example.com/run?v={vi_version}",
    );
    expect(res.body.url).toBe("https://ci.example.com/run?v=1.0.0%2Bexp%20sha%2F1");
  });

  it("answers 422 naming a missing variable, a secret, or a non-http result", async () => {
    const product = unique("errors");
    const [dev] = await environments("dev");
    await build(product, "1");
    const missing = await preview(product, "1", dev as string, "https://x.example.com/?a={not_defined}");
    expect(missing.status).toBe(422);
    expect(missing.body.detail[0]).toMatchObject({
      loc: ["body", "url_template"],
      msg: "Missing variable: not_defined",
    });
    const noBuildNumber = await preview(
      product,
      "1",
      dev as string,
      "https://x.example.com/?b={vi_build_number}",
    );
    expect(noBuildNumber.body.detail[0].msg).toBe("Missing variable: vi_build_number");
    const secretKey = unique("token").replace(/-/g, "_");
    await t.call("POST", `/products/${product}/variables`, {
      key: secretKey,
      value: "hunter2",
      secret: true,
    });
    const secret = await preview(product, "1", dev as string, `https://x.example.com/?t={${secretKey}}`);
    expect(secret.status).toBe(422);
    expect(secret.body.detail[0].msg).toMatch(/is secret: a rendered button is a plain link/);
    expect(JSON.stringify(secret.body)).not.toContain("hunter2");
    const ftp = await preview(product, "1", dev as string, "ftp://x.example.com/{vi_version}");
    expect(ftp.status).toBe(422);
    expect((await preview(product, "9", dev as string, "https://x.example.com")).status).toBe(404);
  });
});

describe("button management", () => {
  it("creates, updates and deletes with audit entries; refuses secret templates", async () => {
    const product = unique("manage");
    const [staging, prod] = await environments("staging", "production");
    await t.call("POST", "/products", { name: product });
    const created = await t.call("POST", "/deployment-buttons", {
      product_name: product,
      name: "Deploy",
      url_template: "https://ci.example.com/deploy?v={vi_version}&env={vi_environment_name}",
      environments: [staging],
    });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ product_name: product, environments: [staging], enabled: true });
    const id = created.body.id as string;
    const listed = await t.call("GET", `/deployment-buttons?product=${product}`);
    expect(listed.body.items.map((b: { id: string }) => b.id)).toEqual([id]);
    const updated = await t.call("PATCH", `/deployment-buttons/${id}`, { environments: [staging, prod] });
    expect(updated.body.environments).toEqual([staging, prod]);

    const secretKey = unique("secret").replace(/-/g, "_");
    await t.call("POST", "/variables", { key: secretKey, value: "pw", secret: true });
    const refused = await t.call("PATCH", `/deployment-buttons/${id}`, {
      url_template: `https://ci.example.com/deploy?token={${secretKey}}`,
    });
    expect(refused.status).toBe(422);
    expect(refused.body.detail[0].msg).toMatch(/secret/);
    const badBuiltIn = await t.call("PATCH", `/deployment-buttons/${id}`, {
      url_template: "https://x/{vi_nope}",
    });
    expect(badBuiltIn.status).toBe(422);
    const noProduct = await t.call("POST", "/deployment-buttons", {
      name: "x",
      url_template: "https://x.example.com",
    });
    expect(noProduct.body.detail[0].loc).toEqual(["body", "product_name"]);
    const unknownEnv = await t.call("PATCH", `/deployment-buttons/${id}`, { environments: ["no-such-env"] });
    expect(unknownEnv.status).toBe(422);
    expect(unknownEnv.body.detail[0].loc).toEqual(["body", "environments", 0]);

    expect((await t.call("DELETE", `/deployment-buttons/${id}`)).status).toBe(204);
    expect((await t.call("GET", `/deployment-buttons/${id}`)).status).toBe(404);
    const audit = await t.database.client.execute({
      sql: "SELECT action FROM audit_log WHERE target_id = ? ORDER BY at, rowid",
      args: [id],
    });
    expect(audit.rows.map((r) => r.action)).toEqual(["button.create", "button.update", "button.delete"]);
  });

  it("allows at most one enabled button per product and environment", async () => {
    const product = unique("overlap");
    const [dev, staging] = await environments("dev", "staging");
    await t.call("POST", "/products", { name: product });
    const button = (name: string, envs: string[]) =>
      t.call("POST", "/deployment-buttons", {
        product_name: product,
        name,
        url_template: "https://ci.example.com/?v={vi_version}",
        environments: envs,
      });
    expect((await button("dev", [dev as string])).status).toBe(201);
    expect((await button("staging", [staging as string])).status).toBe(201);
    const clash = await button("again", [dev as string]);
    expect(clash.status).toBe(409);
    const all = await button("all", []);
    expect(all.status).toBe(409);
    const disabled = await t.call("POST", "/deployment-buttons", {
      product_name: product,
      name: "spare",
      url_template: "https://ci.example.com/?v={vi_version}",
      enabled: false,
    });
    expect(disabled.status).toBe(201);
    expect((await t.call("PATCH", `/deployment-buttons/${disabled.body.id}`, { enabled: true })).status).toBe(
      409,
    );
    expect(clash.body.code).toBe("CONFLICT");
    expect((await button("dev", [])).body.code).toBe("NAME_TAKEN");
  });

  it("needs variables.manage to write", async () => {
    const read = await t.call("POST", "/api-keys", { name: unique("reader"), scope: "read" });
    const res = await t.call(
      "POST",
      "/deployment-buttons",
      { product_name: "x", name: "x", url_template: "https://x" },
      { token: read.body.token },
    );
    expect(res.status).toBe(403);
  });
});

describe("where buttons appear", () => {
  it("on build-event responses, versions and /state, for the environments a version could go to next", async () => {
    const product = unique("appear");
    const [dev, staging, prod] = await environments("dev", "staging", "production");
    // No button yet: nothing rendered.
    expect((await build(product, "1.0.0")).body.buttons).toEqual([]);
    await t.call("POST", "/deployment-buttons", {
      product_name: product,
      name: "Deploy",
      url_template: "https://ci.example.com/deploy?v={vi_version}&env={vi_environment_name}",
    });
    const url = (version: string, env: string) => `https://ci.example.com/deploy?v=${version}&env=${env}`;

    // A fresh build could go to the first type of environment that exists (dev here).
    const built = await build(product, "1.1.0");
    const devButtons = built.body.buttons.filter(
      (b: { environment_name: string }) => b.environment_name === dev,
    );
    expect(devButtons).toEqual([{ name: "Deploy", url: url("1.1.0", dev as string), environment_name: dev }]);
    expect(built.body.buttons.some((b: { environment_name: string }) => b.environment_name === prod)).toBe(
      false,
    );

    // Running in dev, it could go to staging next.
    await deploy(product, "1.1.0", dev as string);
    const version = await t.call("GET", `/versions/${built.body.version_id}`);
    const names = version.body.buttons.map((b: { environment_name: string }) => b.environment_name);
    expect(names).toContain(staging);
    expect(names).not.toContain(dev);
    expect(names).not.toContain(prod);
    const list = await t.call("GET", `/versions?product=${product}`);
    expect(list.body.items.find((v: { version: string }) => v.version === "1.1.0").buttons).toEqual(
      version.body.buttons,
    );

    // /state: the dev cell offers to promote its current version to staging.
    const state = await t.call("GET", "/state");
    const row = state.body.products.find((p: { name: string }) => p.name === product);
    const devCell = row.cells.find((c: { environment_name: string }) => c.environment_name === dev);
    expect(devCell.buttons).toContainEqual({
      name: "Deploy",
      url: url("1.1.0", staging as string),
      environment_name: staging,
    });
    const prodCell = row.cells.find((c: { environment_name: string }) => c.environment_name === prod);
    expect(prodCell.buttons).toEqual([]);

    // In production, nothing lies further: no production button for it.
    await deploy(product, "1.1.0", staging as string);
    await deploy(product, "1.1.0", prod as string);
    const done = await t.call("GET", `/versions/${built.body.version_id}`);
    expect(done.body.buttons.map((b: { environment_name: string }) => b.environment_name)).not.toContain(
      prod,
    );
  });

  it("leaves out a button that cannot render instead of failing the request", async () => {
    const product = unique("broken");
    await environments("dev");
    await t.call("POST", "/products", { name: product });
    await t.call("POST", "/deployment-buttons", {
      product_name: product,
      name: "Needs var",
      url_template: "https://ci.example.com/?x={later_defined}",
    });
    const res = await build(product, "1");
    expect(res.status).toBe(200);
    expect(res.body.buttons).toEqual([]);
  });
});
