/**
 * Links to this collector's pages for people, built only from VERSIONER_PUBLIC_URL: behind a proxy
 * or in a container the collector cannot know the address browsers reach it by, and a guessed link
 * that does not open is worse than none. The dashboard serves these paths to browsers.
 */
export function deploymentPageUrl(publicUrl: string | undefined, deploymentId: string): string | undefined {
  if (!publicUrl) return undefined;
  return `${publicUrl.replace(/\/+$/, "")}/deployments/${encodeURIComponent(deploymentId)}`;
}
