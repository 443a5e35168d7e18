/** Where each resource's page lives: the API's own paths, asked for as text/html. */
export const productPath = (name: string) => `/products/${encodeURIComponent(name)}`;
export const versionPath = (id: string) => `/versions/${encodeURIComponent(id)}`;
export const environmentPath = (name: string) => `/environments/${encodeURIComponent(name)}`;
export const deploymentPath = (id: string) => `/deployments/${encodeURIComponent(id)}`;
export const releasePath = (name: string) => `/releases/${encodeURIComponent(name)}`;
