/**
 * A commit compare link from `from` (older) to `to` (newer), built from `scm_repository`:
 * GitHub `https://<host>/<owner>/<repo>/compare/<from>...<to>`, GitLab
 * `https://<host>/<group>/<project>/-/compare/<from>...<to>`, Bitbucket Cloud
 * `https://bitbucket.org/<ws>/<repo>/branches/compare/<to>%0D<from>` (Bitbucket names the newer
 * side first). A repository given as a URL keeps its host (GitHub Enterprise, self-managed
 * GitLab); `owner/name` is placed on github.com, gitlab.com or bitbucket.org only when the
 * reporting CI says which. Other hosts get no link rather than a wrong one.
 */
export function compareLink(
  repository: string,
  from: string,
  to: string,
  sourceSystem: string | null,
): string | null {
  const host = repositoryHost(repository, sourceSystem);
  if (!host) return null;
  const a = encodeURIComponent(from);
  const b = encodeURIComponent(to);
  switch (host.kind) {
    case "github":
      return `${host.base}/compare/${a}...${b}`;
    case "gitlab":
      return `${host.base}/-/compare/${a}...${b}`;
    case "bitbucket":
      return `${host.base}/branches/compare/${b}%0D${a}`;
  }
}

type HostKind = "github" | "gitlab" | "bitbucket";

function repositoryHost(
  repository: string,
  sourceSystem: string | null,
): { kind: HostKind; base: string } | null {
  const trimmed = repository
    .trim()
    .replace(/\.git$/, "")
    .replace(/\/+$/, "");
  const system = sourceSystem?.toLowerCase() ?? null;
  if (/^https?:\/\//.test(trimmed)) {
    let url: URL;
    try {
      url = new URL(trimmed);
    } catch {
      return null;
    }
    // Bitbucket Cloud only: Bitbucket Server/Data Center compare URLs have another shape.
    const kind: HostKind | null =
      url.hostname === "bitbucket.org"
        ? "bitbucket"
        : url.hostname.includes("gitlab") || system === "gitlab"
          ? "gitlab"
          : url.hostname.includes("github") || system === "github"
            ? "github"
            : null;
    if (!kind || url.pathname.split("/").filter(Boolean).length < 2) return null;
    return { kind, base: `${url.origin}${url.pathname}` };
  }
  if (!/^[\w.-]+(\/[\w.-]+)+$/.test(trimmed)) return null;
  if (system === "gitlab") return { kind: "gitlab", base: `https://gitlab.com/${trimmed}` };
  if (system === "github") return { kind: "github", base: `https://github.com/${trimmed}` };
  if (system === "bitbucket" && trimmed.split("/").length === 2)
    return { kind: "bitbucket", base: `https://bitbucket.org/${trimmed}` };
  return null;
}
