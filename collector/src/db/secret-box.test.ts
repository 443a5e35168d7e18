import { existsSync, mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { createTestApp, unique } from "../testing/test-app.ts";
import { storedText } from "../testing/test-database.ts";
import { openDatabase } from "./client.ts";
import { resealSecrets } from "./reseal-secrets.ts";
import { loadSecretBox, SecretBox } from "./secret-box.ts";

const KEY_A = "a-first-secret-key-of-at-least-32-characters";
const KEY_B = "a-second-secret-key-of-at-least-32-characters";

describe("SecretBox", () => {
  it("seals with AES-256-GCM under the current key and opens what it sealed", () => {
    const box = new SecretBox(KEY_A);
    const sealed = box.seal("https://hooks.slack.com/services/T0/B0/xyz");
    expect(sealed).toMatch(new RegExp(`^enc:v1:${box.keyId}:`));
    expect(sealed).not.toContain("hooks.slack.com");
    expect(box.seal("same")).not.toBe(box.seal("same")); // a fresh IV each time
    expect(box.open(sealed)).toBe("https://hooks.slack.com/services/T0/B0/xyz");
    expect(box.openJson(box.sealJson({ url: "u", headers: { a: "b" } }))).toEqual({
      url: "u",
      headers: { a: "b" },
    });
  });

  it("opens values sealed under a previous key, and says they need resealing", () => {
    const old = new SecretBox(KEY_A);
    const sealed = old.seal("rotated");
    const rotated = new SecretBox(KEY_B, [KEY_A]);
    expect(rotated.open(sealed)).toBe("rotated");
    expect(rotated.needsReseal(sealed)).toBe(true);
    expect(rotated.needsReseal(rotated.seal("rotated"))).toBe(false);
    expect(() => new SecretBox(KEY_B).open(sealed)).toThrow(/neither VERSIONER_SECRET_KEY nor/);
  });

  it("refuses a value whose ciphertext was tampered with", () => {
    const box = new SecretBox(KEY_A);
    const sealed = box.seal("integrity");
    const data = Buffer.from(sealed.split(":")[3] ?? "", "base64");
    data[data.length - 1] = (data[data.length - 1] ?? 0) ^ 1;
    expect(() => box.open(`enc:v1:${box.keyId}:${data.toString("base64")}`)).toThrow();
  });

  it("reads values stored in clear before encryption, and marks them for resealing", () => {
    const box = new SecretBox(KEY_A);
    expect(box.open("plain")).toBe("plain");
    expect(box.openJson({ url: "u" })).toEqual({ url: "u" });
    expect(box.needsReseal({ url: "u" })).toBe(true);
    expect(box.needsReseal("plain")).toBe(true);
  });
});

describe("the key", () => {
  const dir = mkdtempSync(join(tmpdir(), "versioner-key-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("is generated once beside a local database, readable by its owner only, and reused", () => {
    const url = `file:${join(dir, "a.db")}`;
    const first = loadSecretBox({ databaseUrl: url });
    expect(first.generatedKeyFile).toBe(join(dir, "a.db.secret-key"));
    expect(statSync(join(dir, "a.db.secret-key")).mode & 0o777).toBe(0o600);
    const again = loadSecretBox({ databaseUrl: url });
    expect(again.generatedKeyFile).toBeUndefined();
    expect(again.box.open(first.box.seal("same key"))).toBe("same key");
  });

  it("comes from VERSIONER_SECRET_KEY when set (no file), and is required with a libSQL server", () => {
    const url = `file:${join(dir, "b.db")}`;
    expect(loadSecretBox({ databaseUrl: url, key: KEY_A }).box.keyId).toBe(new SecretBox(KEY_A).keyId);
    expect(existsSync(join(dir, "b.db.secret-key"))).toBe(false);
    expect(() => loadSecretBox({ databaseUrl: "http://127.0.0.1:8081" })).toThrow(
      /VERSIONER_SECRET_KEY is required/,
    );
    expect(loadSecretBox({ databaseUrl: "http://127.0.0.1:8081", key: KEY_A }).box.keyId).toBeTruthy();
  });
});

describe("secrets at rest", () => {
  it("never reach the database (file and WAL, or the server's rows) in clear; rotation reseals every row", async () => {
    const t = await createTestApp({ VERSIONER_ALLOW_PRIVATE_WEBHOOKS: "true", VERSIONER_SECRET_KEY: KEY_A });
    const secrets = [
      "https://hooks.example.test/very-secret-path",
      "hmac-secret-value",
      "header-secret-value",
    ];
    try {
      const channel = await t.call("POST", "/notification-channels", {
        name: unique("sealed"),
        kind: "webhook",
        url: secrets[0],
        secret: secrets[1],
        headers: { "X-Api-Key": secrets[2] },
        subscriptions: [{ event_types: ["deployment.completed"] }],
      });
      expect(channel.status, JSON.stringify(channel.body)).toBe(201);
      expect(
        (
          await t.call("POST", "/variables", {
            key: "deploy_token",
            value: "variable-secret-value",
            secret: true,
          })
        ).status,
      ).toBe(201);
      const integration = await t.call("POST", "/integrations", {
        name: unique("vercel"),
        kind: "vercel",
        secret: "integration-secret-value",
      });
      expect(integration.status).toBe(201);
      const stored = await storedText(t.database, t.path);
      for (const secret of [...secrets, "variable-secret-value", "integration-secret-value"]) {
        expect(stored).not.toContain(secret);
      }
      // Edits that leave the URL alone still send to it.
      expect(
        (await t.call("PATCH", `/notification-channels/${channel.body.id}`, { name: unique("renamed") }))
          .status,
      ).toBe(200);
      const sealed = await t.database.client.execute("SELECT secrets FROM notification_channels");
      expect(t.database.secrets.openJson(JSON.parse(String(sealed.rows[0]?.secrets)))).toMatchObject({
        url: secrets[0],
      });
    } finally {
      t.database.close();
    }

    // Rotation: the new key first, the old one as previous; start-up reseals, then the old key can go.
    const rotated = await openDatabase({
      url: t.database.url,
      secretKey: KEY_B,
      previousSecretKeys: [KEY_A],
    });
    try {
      expect(await resealSecrets(rotated)).toBe(3);
      expect(await resealSecrets(rotated)).toBe(0);
    } finally {
      rotated.close();
    }
    const onlyNew = await openDatabase({ url: t.database.url, secretKey: KEY_B });
    try {
      const channel = await onlyNew.client.execute("SELECT secrets FROM notification_channels");
      expect(onlyNew.secrets.openJson(JSON.parse(String(channel.rows[0]?.secrets)))).toMatchObject({
        url: secrets[0],
      });
      const variable = await onlyNew.client.execute("SELECT value FROM variables WHERE key = 'deploy_token'");
      expect(onlyNew.secrets.open(String(variable.rows[0]?.value))).toBe("variable-secret-value");
      const integration = await onlyNew.client.execute("SELECT secret FROM integrations");
      expect(onlyNew.secrets.open(String(integration.rows[0]?.secret))).toBe("integration-secret-value");
    } finally {
      onlyNew.close();
      t.close();
    }
  });

  it("reseals rows stored in clear before encryption existed", async () => {
    const t = await createTestApp({ VERSIONER_SECRET_KEY: KEY_A });
    try {
      await t.database.client.execute({
        sql: "INSERT INTO notification_channels (id, name, kind, enabled, settings, secrets, created_at, updated_at) VALUES ('legacy', 'legacy', 'slack', 1, '{}', ?, 'x', 'x')",
        args: [JSON.stringify({ url: "https://hooks.slack.com/services/legacy" })],
      });
      expect(await resealSecrets(t.database)).toBe(1);
      const row = await t.database.client.execute(
        "SELECT secrets FROM notification_channels WHERE id = 'legacy'",
      );
      const stored = JSON.parse(String(row.rows[0]?.secrets));
      expect(stored).toMatch(/^enc:v1:/);
      expect(t.database.secrets.openJson(stored)).toEqual({ url: "https://hooks.slack.com/services/legacy" });
    } finally {
      t.close();
    }
  });
});
