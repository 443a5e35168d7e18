import { type McpServer, ResourceTemplate } from "@modelcontextprotocol/sdk/server/mcp.js";
import type { ReadResourceResult } from "@modelcontextprotocol/sdk/types.js";
import type { Page, VersionerClient } from "@versioner/client";
import type { Environment, Product } from "@versioner/schema";
import { segment } from "./tool-result.ts";

// Names are the resources' keys, as people and agents speak of them; one page of the largest size
// the API serves bounds the list (a catalogue beyond 500 products is read with get_state's filters).
const LIST_LIMIT = 500;

function json(uri: URL, value: unknown): ReadResourceResult {
  return {
    contents: [{ uri: uri.href, mimeType: "application/json", text: JSON.stringify(value, null, 2) }],
  };
}

function variable(value: string | string[] | undefined): string {
  return decodeURIComponent((Array.isArray(value) ? value[0] : value) ?? "");
}

/** `versioner://products/{name}` and `versioner://environments/{name}`: the record and what runs there. */
export function registerResources(server: McpServer, client: VersionerClient): void {
  server.registerResource(
    "product",
    new ResourceTemplate("versioner://products/{name}", {
      list: async () => {
        const page = await client.request<Page<Product>>("GET", `/products?limit=${LIST_LIMIT}`);
        return {
          resources: page.items.map((product) => ({
            uri: `versioner://products/${segment(product.name)}`,
            name: product.name,
            ...(product.description ? { description: product.description } : {}),
            mimeType: "application/json",
          })),
        };
      },
    }),
    {
      title: "Product",
      description: "A product with its metadata and the version it runs in each environment",
      mimeType: "application/json",
    },
    async (uri, { name }) => {
      const product = await client.request<Product>("GET", `/products/${segment(variable(name))}`);
      const state = await client.getState({ product: [product.id] });
      return json(uri, { ...product, environments: state.products[0]?.cells ?? [] });
    },
  );

  server.registerResource(
    "environment",
    new ResourceTemplate("versioner://environments/{name}", {
      list: async () => {
        const { items } = await client.request<{ items: Environment[] }>("GET", "/environments");
        return {
          resources: items.map((environment) => ({
            uri: `versioner://environments/${segment(environment.name)}`,
            name: environment.name,
            description: `${environment.type} environment${environment.description ? `: ${environment.description}` : ""}`,
            mimeType: "application/json",
          })),
        };
      },
    }),
    {
      title: "Environment",
      description: "An environment with its type and the version of each product running there",
      mimeType: "application/json",
    },
    async (uri, { name }) => {
      const environment = await client.request<Environment>(
        "GET",
        `/environments/${segment(variable(name))}`,
      );
      const state = await client.getState({ environment: [environment.id] });
      const running = state.products.flatMap((product) =>
        product.cells
          .filter((cell) => cell.current)
          .map((cell) => ({ product: product.name, ...cell.current })),
      );
      return json(uri, { ...environment, running });
    },
  );
}
