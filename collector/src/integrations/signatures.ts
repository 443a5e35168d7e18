import { createHmac, timingSafeEqual } from "node:crypto";

/** Compares two strings in time independent of where they differ (lengths may leak, contents not). */
export function safeEqual(a: string, b: string): boolean {
  const left = Buffer.from(a, "utf8");
  const right = Buffer.from(b, "utf8");
  return left.length === right.length && timingSafeEqual(left, right);
}

/** Hex HMAC of the raw body, as Vercel (SHA-1) and GitHub (SHA-256) sign their deliveries. */
export function hmacHex(algorithm: "sha1" | "sha256", secret: string, body: string): string {
  return createHmac(algorithm, secret).update(body, "utf8").digest("hex");
}

/** True when `received` is the body's hex HMAC under `secret` (case-insensitive hex, constant time). */
export function verifyHmac(
  algorithm: "sha1" | "sha256",
  secret: string,
  body: string,
  received: string | null | undefined,
): boolean {
  if (!received) return false;
  return safeEqual(hmacHex(algorithm, secret, body), received.trim().toLowerCase());
}
