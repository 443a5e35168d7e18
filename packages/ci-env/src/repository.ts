/**
 * Normalises a git remote to `owner/repo` (nested groups kept: `group/sub/repo`):
 * `https://host/org/repo.git`, `git@host:org/repo.git`, `ssh://git@host:22/org/repo` → `org/repo`.
 * Credentials in the URL are dropped. Values that are not URLs are returned trimmed, without `.git`.
 */
export function normalizeRepository(remote: string | undefined): string | undefined {
  const value = remote?.trim();
  if (!value) return undefined;
  let path = value;
  const scpLike = /^(?:[^@/\s]+@)?[^:/\s]+:(?!\/\/)(.+)$/.exec(value);
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(value)) {
    try {
      path = new URL(value).pathname;
    } catch {
      return undefined;
    }
  } else if (scpLike?.[1] !== undefined) {
    path = scpLike[1];
  }
  const cleaned = path
    .replace(/\/+$/, "")
    .replace(/\.git$/, "")
    .replace(/^\/+/, "");
  return cleaned || undefined;
}

/** Last path segment of a repository (`org/repo` → `repo`), used as the default product name. */
export function repositoryName(repository: string | undefined): string | undefined {
  if (!repository) return undefined;
  const last = repository.split("/").filter(Boolean).pop();
  return last || undefined;
}
