import { Hono } from "hono";
import { describe, expect, it } from "vitest";
import { setSessionCookie } from "./session-cookie.ts";
import { API_KEY_PREFIX, bearerToken, generateApiKey, hashToken, tokenPrefix } from "./tokens.ts";

// The credential helpers on their own: no app, no database, so a mutant meets a test that fails fast.
describe("hashToken", () => {
  it("is the hex SHA-256 of the token", () => {
    expect(hashToken("test-admin-token")).toBe(
      "17d6bfe05d1b1fb7bc499f8e3f639c7b3eda4c40f321eef8887a0c04c89a99c5",
    );
    expect(hashToken("")).toBe("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  });
});

describe("generateApiKey", () => {
  it("makes sk_<org>_<keyid>_<secret> with a k + 8 hex key id and a 48 hex secret", () => {
    const { token, keyId } = generateApiKey("acme");
    expect(API_KEY_PREFIX).toBe("sk_");
    expect(keyId).toMatch(/^k[0-9a-f]{8}$/);
    expect(token).toMatch(new RegExp(`^sk_acme_${keyId}_[0-9a-f]{48}$`));
  });

  it("never makes the same key twice", () => {
    const a = generateApiKey("acme");
    const b = generateApiKey("acme");
    expect(a.keyId).not.toBe(b.keyId);
    expect(a.token.slice(-48)).not.toBe(b.token.slice(-48));
  });
});

describe("tokenPrefix", () => {
  it("shows a third of a short token and at most 12 characters, then an ellipsis", () => {
    expect(tokenPrefix("abcdefghi")).toBe("abc…");
    expect(tokenPrefix("abcdefghijk")).toBe("abc…");
    expect(tokenPrefix("abcdefghijkl")).toBe("abcd…");
    expect(tokenPrefix("a".repeat(36))).toBe(`${"a".repeat(12)}…`);
    expect(tokenPrefix(`sk_acme_k0123456_${"f".repeat(48)}`)).toBe("sk_acme_k012…");
    expect(tokenPrefix("ab")).toBe("…");
  });
});

describe("bearerToken", () => {
  it.each([
    ["Bearer abc", "abc"],
    ["bearer abc", "abc"],
    ["BEARER\tabc", "abc"],
    ["Bearer   abc  ", "abc"],
    ["Bearer abc def", undefined],
    ["Bearer ", undefined],
    ["Bearer", undefined],
    ["Basic abc", undefined],
    ["xBearer abc", undefined],
    ["Bearerabc", undefined],
    ["", undefined],
    [undefined, undefined],
  ])("%j → %j", (header, token) => {
    expect(bearerToken(header)).toBe(token);
  });
});

describe("setSessionCookie", () => {
  it("sets a signed, HTTP-only, SameSite=Lax cookie for the whole site that lives 12 hours", async () => {
    const app = new Hono();
    app.get("/:secure", async (c) => {
      await setSessionCookie(c, "s3cret", "signing-key", c.req.param("secure") === "secure");
      return c.body(null, 204);
    });
    const secure = (await app.request("/secure")).headers.get("set-cookie");
    expect(secure).toMatch(
      /^versioner_session=s3cret\.[A-Za-z0-9%]+; Max-Age=43200; Path=\/; HttpOnly; Secure; SameSite=Lax$/,
    );
    const plain = (await app.request("/plain")).headers.get("set-cookie");
    expect(plain).toMatch(
      /^versioner_session=s3cret\.[A-Za-z0-9%]+; Max-Age=43200; Path=\/; HttpOnly; SameSite=Lax$/,
    );
  });
});
