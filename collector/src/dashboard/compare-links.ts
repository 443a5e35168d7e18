/** A repository's web address from what CI sends: https URLs, `git@host:owner/repo.git`, `.git` endings. */
export function repositoryWebUrl(repository: string | null | undefined): URL | null {
  if (!repository) return null;
  const scp = /^[\w.-]+@([\w.-]+):(.+)$/.exec(repository);
  const text = scp ? `https://${scp[1]}/${scp[2]}` : repository;
  if (!URL.canParse(text)) return null;
  const url = new URL(text);
  if (url.protocol !== "https:" && url.protocol !== "http:" && url.protocol !== "ssh:") return null;
  return new URL(`https://${url.host}${url.pathname.replace(/\.git$/, "").replace(/\/$/, "")}`);
}

/**
 * The page comparing two commits on GitHub, GitLab or Bitbucket (by host name, so GitHub
 * Enterprise and self-managed GitLab named as such work too); null for other hosts.
 */
export function compareUrl(
  repository: string | null | undefined,
  fromSha: string,
  toSha: string,
): string | null {
  const base = repositoryWebUrl(repository);
  if (!base || !fromSha || !toSha) return null;
  const host = base.host.toLowerCase();
  const from = encodeURIComponent(fromSha);
  const to = encodeURIComponent(toSha);
  if (host.includes("github")) return `${base.href}/compare/${from}...${to}`;
  if (host.includes("gitlab")) return `${base.href}/-/compare/${from}...${to}`;
  // Bitbucket Cloud compares "source..destination" the other way round, newest first.
  if (host.includes("bitbucket")) return `${base.href}/branches/compare/${to}..${from}#diff`;
  return null;
}
