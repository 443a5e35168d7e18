import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";

/** The CLI bundle the collector serves, with its digests, computed once per load. */
export interface CliBundle {
  body: Uint8Array<ArrayBuffer>;
  /** Lowercase hex SHA-256 of the body, as `sha256sum` prints it (`X-Checksum-Sha256`). */
  sha256: string;
  /** RFC 9530 `Repr-Digest` field value: `sha-256=:<base64>:`. */
  reprDigest: string;
  /** A strong entity tag: the body's SHA-256. */
  etag: string;
}

/** Reads the bundle at `path`; undefined when it was not built (a collector run from sources). */
export async function loadCliBundle(path: string): Promise<CliBundle | undefined> {
  let body: Uint8Array<ArrayBuffer>;
  try {
    body = new Uint8Array(await readFile(path));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw error;
  }
  const digest = createHash("sha256").update(body).digest();
  const sha256 = digest.toString("hex");
  return { body, sha256, reprDigest: `sha-256=:${digest.toString("base64")}:`, etag: `"${sha256}"` };
}

/** Whether an `If-None-Match` header names the entity tag (weak comparison, as RFC 9110 asks for GET). */
export function matchesEtag(ifNoneMatch: string | undefined, etag: string): boolean {
  if (!ifNoneMatch) return false;
  const bare = (tag: string) => tag.trim().replace(/^W\//, "");
  return ifNoneMatch.split(",").some((tag) => tag.trim() === "*" || bare(tag) === bare(etag));
}
