import { createCipheriv, createDecipheriv, createHash, randomBytes } from "node:crypto";
import { chmodSync, existsSync, readFileSync, writeFileSync } from "node:fs";

const PREFIX = "enc:v1:";
const IV_BYTES = 12;
const TAG_BYTES = 16;

/** A key as the operator gives it (any string of 32+ characters), and the id stored with each value. */
interface Key {
  id: string;
  bytes: Buffer;
}

function deriveKey(secret: string): Key {
  const bytes = createHash("sha256").update(`versioner-secret-key:${secret}`).digest();
  const id = createHash("sha256").update(bytes).digest("hex").slice(0, 8);
  return { id, bytes };
}

/**
 * Seals secret values at rest with AES-256-GCM: `enc:v1:<key id>:<base64 iv|tag|ciphertext>`.
 * Values sealed under a previous key still open (key rotation); a value stored before
 * encryption existed (no prefix) reads as it is, and `needsReseal` tells which to write again.
 */
export class SecretBox {
  private readonly current: Key;
  private readonly keys: Map<string, Key>;

  constructor(current: string, previous: readonly string[] = []) {
    this.current = deriveKey(current);
    this.keys = new Map([this.current, ...previous.map(deriveKey)].map((key) => [key.id, key]));
  }

  /** The current key's id (shown at start-up; never the key). */
  get keyId(): string {
    return this.current.id;
  }

  seal(plain: string): string {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv("aes-256-gcm", this.current.bytes, iv);
    const sealed = Buffer.concat([cipher.update(plain, "utf8"), cipher.final()]);
    return `${PREFIX}${this.current.id}:${Buffer.concat([iv, cipher.getAuthTag(), sealed]).toString("base64")}`;
  }

  open(stored: string): string {
    if (!stored.startsWith(PREFIX)) return stored;
    const [id, data] = stored.slice(PREFIX.length).split(":");
    const key = id ? this.keys.get(id) : undefined;
    if (!key || !data) {
      throw new Error(
        `a secret was sealed with key ${id ?? "?"}, which is neither VERSIONER_SECRET_KEY nor in VERSIONER_SECRET_KEY_PREVIOUS`,
      );
    }
    const raw = Buffer.from(data, "base64");
    const decipher = createDecipheriv("aes-256-gcm", key.bytes, raw.subarray(0, IV_BYTES));
    decipher.setAuthTag(raw.subarray(IV_BYTES, IV_BYTES + TAG_BYTES));
    return Buffer.concat([decipher.update(raw.subarray(IV_BYTES + TAG_BYTES)), decipher.final()]).toString(
      "utf8",
    );
  }

  /** A JSON column's secret object, sealed as one string. */
  sealJson(value: Record<string, unknown>): string {
    return this.seal(JSON.stringify(value));
  }

  /** Reads what `sealJson` wrote, or an object stored in clear before encryption existed. */
  openJson<T extends Record<string, unknown>>(stored: unknown): T {
    if (typeof stored === "string") return JSON.parse(this.open(stored)) as T;
    return (stored ?? {}) as T;
  }

  /** True for a value stored in clear or under a previous key. */
  needsReseal(stored: unknown): boolean {
    return typeof stored !== "string" || !stored.startsWith(`${PREFIX}${this.current.id}:`);
  }
}

/** Where a local database's generated key lives: beside it, readable by its owner only. */
export function keyFilePath(databaseUrl: string): string | undefined {
  if (!databaseUrl.startsWith("file:") || databaseUrl.includes(":memory:")) return undefined;
  return `${databaseUrl.slice("file:".length)}.secret-key`;
}

export interface SecretKeySource {
  databaseUrl: string;
  key?: string;
  previous?: readonly string[];
}

/**
 * The configured key, or for a local file one generated once and kept beside it (0600); an
 * in-memory database gets a key for the process's life. A libSQL server is shared by several
 * collectors, which must all hold the same key: there it has to be configured.
 */
export function loadSecretBox(source: SecretKeySource): { box: SecretBox; generatedKeyFile?: string } {
  const previous = source.previous ?? [];
  if (source.key) return { box: new SecretBox(source.key, previous) };
  if (!source.databaseUrl.startsWith("file:")) {
    throw new Error(
      "VERSIONER_SECRET_KEY is required with a libSQL server: every collector on it must seal secrets with the same key",
    );
  }
  const file = keyFilePath(source.databaseUrl);
  if (!file) return { box: new SecretBox(randomBytes(32).toString("base64"), previous) };
  if (existsSync(file)) return { box: new SecretBox(readFileSync(file, "utf8").trim(), previous) };
  const key = randomBytes(32).toString("base64");
  writeFileSync(file, `${key}\n`, { mode: 0o600, flag: "wx" });
  chmodSync(file, 0o600);
  return { box: new SecretBox(key, previous), generatedKeyFile: file };
}
