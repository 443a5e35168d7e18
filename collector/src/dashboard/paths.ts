/** Where each resource's page lives: the API's own paths, asked for as text/html. */
export const productPath = (name: string) => `/products/${encodeURIComponent(name)}`;
export const versionPath = (id: string) => `/versions/${encodeURIComponent(id)}`;
export const environmentPath = (name: string) => `/environments/${encodeURIComponent(name)}`;
export const deploymentPath = (id: string) => `/deployments/${encodeURIComponent(id)}`;
export const releasePath = (name: string) => `/releases/${encodeURIComponent(name)}`;
/** The "may I deploy?" page, with whatever of the question is known (a matrix cell knows two parts). */
export const preflightPath = (question: { product?: string; environment?: string; version?: string }) => {
  const query = new URLSearchParams(
    Object.entries(question).filter((entry): entry is [string, string] => Boolean(entry[1])),
  );
  return query.size > 0 ? `/preflight?${query}` : "/preflight";
};
