import { hash, randomBytes } from "node:crypto";

/**
 * Tokens are 160+ random bits, so a fast SHA-256 is the right hash: a lookup by hash needs
 * no per-token salt, and brute force over the hash is as hard as over the token itself.
 */
export function hashToken(token: string): string {
  return hash("sha256", token, "hex");
}

/** Every API key starts with this; no other credential does (authentication relies on it). */
export const API_KEY_PREFIX = "sk_";

/** A new API key `sk_<org>_<keyid>_<secret>` with its key id. */
export function generateApiKey(org: string): { token: string; keyId: string } {
  const keyId = `k${randomBytes(4).toString("hex")}`;
  return { token: `${API_KEY_PREFIX}${org}_${keyId}_${randomBytes(24).toString("hex")}`, keyId };
}

/** What listings show of a token: enough to tell keys apart, never enough to use one. */
export function tokenPrefix(token: string): string {
  return `${token.slice(0, Math.min(12, Math.floor(token.length / 3)))}…`;
}

/** Reads `Authorization: Bearer <token>`; undefined when absent or malformed. */
export function bearerToken(header: string | undefined): string | undefined {
  const match = header?.match(/^Bearer\s+(\S+)\s*$/i);
  return match?.[1];
}
