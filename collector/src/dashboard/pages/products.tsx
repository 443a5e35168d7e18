import {
  type Deployment,
  deployedAt,
  Name,
  type Product,
  type StateCell,
  type StateResponse,
  type Version,
} from "@versioner/schema";
import { z } from "zod";
import { listDeployments } from "../../catalog/deployments-service.ts";
import {
  createProduct,
  deleteProduct,
  findProduct,
  listProducts,
  updateProduct,
} from "../../catalog/products-service.ts";
import { getState } from "../../catalog/state-service.ts";
import { listVersions } from "../../catalog/versions-service.ts";
import { actorFrom } from "../../http/actor.ts";
import type { AppDeps } from "../../http/app-env.ts";
import { parseOrThrow } from "../../validation.ts";
import { listVariables, type VariableView } from "../../variables/variables-service.ts";
import { compareUrl } from "../compare-links.ts";
import {
  Csrf,
  ExternalLink,
  ListTable,
  MetadataList,
  PageHeader,
  Pager,
  ShortSha,
  StateCellColumns,
  StatusBadge,
  When,
} from "../components.tsx";
import { can, type DashboardRouter, field, param } from "../dashboard-http.tsx";
import { Layout, type PageContext } from "../layout.tsx";
import { formatMetadata, parseMetadata } from "../metadata-form.ts";
import { deploymentPath, environmentPath, productPath, versionPath } from "../paths.ts";

const PAGE_SIZE = 50;
const ProductForm = z.object({ name: Name, description: z.string().max(4096) });

/** The cells of one product in the state, by environment (empty when it runs nowhere yet). */
export function productCells(state: StateResponse, productId: string): StateCell[] {
  return state.products.find((p) => p.id === productId)?.cells ?? [];
}

/** Where each version runs now: version id → the environments and since when. */
export function placesByVersion(cells: StateCell[]) {
  const places = new Map<string, Array<{ environment: string; since: string }>>();
  for (const cell of cells) {
    if (!cell.current) continue;
    const list = places.get(cell.current.version_id) ?? [];
    list.push({ environment: cell.environment_name, since: cell.current.deployed_at });
    places.set(cell.current.version_id, list);
  }
  return places;
}

/** The create and edit forms' fields, checked as the API checks its JSON body. */
function readProductForm(form: Record<string, unknown>) {
  const input = parseOrThrow(
    ProductForm,
    { name: field(form, "name"), description: field(form, "description") },
    ["body"],
  );
  return {
    name: input.name,
    description: input.description || null,
    extra_metadata: parseMetadata(field(form, "extra_metadata"), "extra_metadata"),
  };
}

export function registerProductPages(router: DashboardRouter, deps: AppDeps) {
  router.page("/products", async (c, ctx) => {
    const cursor = c.req.query("cursor");
    const page = await listProducts(deps, { limit: PAGE_SIZE, cursor });
    return (
      <ProductsPage
        ctx={ctx}
        products={page.items}
        nextCursor={page.next_cursor}
        query={new URL(c.req.url).searchParams}
      />
    );
  });

  router.page("/products/:name", async (c, ctx) => {
    const product = await findProduct(deps, param(c, "name"));
    const [state, versions, deployments, variables, orgVariables] = await Promise.all([
      getState(deps),
      listVersions(deps, { product: product.id, limit: 30 }),
      listDeployments(deps, { product: product.id, limit: 30 }),
      listVariables(deps, product.id),
      listVariables(deps),
    ]);
    // What the product's buttons see: its own variables, and the org's it does not override.
    const own = new Set(variables.map((v) => v.key));
    const effective = [...variables, ...orgVariables.filter((v) => !own.has(v.key))];
    return (
      <ProductPage
        ctx={ctx}
        product={product}
        cells={productCells(state, product.id)}
        versions={versions.items}
        deployments={deployments.items}
        variables={effective}
      />
    );
  });

  router.action(
    "/dashboard/products",
    "products.write",
    async (c, form) => {
      const product = await createProduct(deps, actorFrom(c), readProductForm(form));
      return `${productPath(product.name)}?notice=${encodeURIComponent(`Created ${product.name}`)}`;
    },
    () => "/products",
  );

  router.action(
    "/dashboard/products/:name",
    "products.write",
    async (c, form) => {
      const product = await updateProduct(deps, actorFrom(c), param(c, "name"), readProductForm(form));
      return `${productPath(product.name)}?notice=Saved`;
    },
    (c) => productPath(param(c, "name")),
  );

  router.action(
    "/dashboard/products/:name/delete",
    "products.write",
    async (c, form) => {
      await deleteProduct(deps, actorFrom(c), param(c, "name"), field(form, "confirm"));
      return `/products?notice=${encodeURIComponent(`Deleted ${param(c, "name")}`)}`;
    },
    (c) => productPath(param(c, "name")),
  );
}

function ProductsPage(props: {
  ctx: PageContext;
  products: Product[];
  nextCursor: string | null;
  query: URLSearchParams;
}) {
  const { ctx } = props;
  return (
    <Layout ctx={ctx} title="Products">
      <PageHeader
        title="Products"
        lead="Everything Versioner tracks; products appear on their first build or deployment."
      />
      {can(ctx, "products.write") ? (
        <details class="card">
          <summary>New product</summary>
          <form method="post" action="/dashboard/products" class="stack">
            <Csrf token={ctx.csrfToken} />
            <label>
              Name
              <input name="name" required maxlength={255} />
            </label>
            <label>
              Description
              <input name="description" maxlength={4096} />
            </label>
            <label>
              Metadata (one <code>key = value</code> per line: team, repository, owner…)
              <textarea name="extra_metadata" placeholder="team = payments"></textarea>
            </label>
            <div>
              <button type="submit">Create product</button>
            </div>
          </form>
        </details>
      ) : null}
      {props.products.length === 0 ? (
        <p class="empty">No products yet.</p>
      ) : (
        <ListTable columns={["Name", "Team", "Description", "Updated"]}>
          {props.products.map((product) => (
            <tr>
              <th scope="row">
                <a href={productPath(product.name)}>{product.name}</a>
              </th>
              <td>{String(product.extra_metadata.team ?? "")}</td>
              <td class="wrap">{product.description ?? ""}</td>
              <td>
                <When at={product.updated_at} now={ctx.now} />
              </td>
            </tr>
          ))}
        </ListTable>
      )}
      <Pager base="/products" query={props.query} nextCursor={props.nextCursor} />
    </Layout>
  );
}

type TimelineEntry =
  | { kind: "deployment"; at: string; deployment: Deployment }
  | { kind: "build"; at: string; version: Version };

function ProductPage(props: {
  ctx: PageContext;
  product: Product;
  cells: StateCell[];
  versions: Version[];
  deployments: Deployment[];
  variables: VariableView[];
}) {
  const { ctx, product } = props;
  const places = placesByVersion(props.cells);
  const timeline: TimelineEntry[] = [
    ...props.deployments.map((d): TimelineEntry => ({ kind: "deployment", at: d.created_at, deployment: d })),
    // A version that arrived with a deployment has no build to show (its status is null).
    ...props.versions.flatMap((v): TimelineEntry[] =>
      v.status ? [{ kind: "build", at: deployedAt(v), version: v }] : [],
    ),
  ].sort((a, b) => b.at.localeCompare(a.at));
  return (
    <Layout ctx={ctx} title={product.name}>
      <PageHeader
        title={product.name}
        lead={product.description ?? undefined}
        actions={
          <a class="button secondary" href={`/deployments?product=${encodeURIComponent(product.name)}`}>
            All deployments
          </a>
        }
      />
      <h2>Where it runs</h2>
      <ListTable columns={["Environment", "Version", "Since", "Latest attempt", "Deploy"]}>
        {props.cells.map((cell) => (
          <tr>
            <th scope="row">
              <a href={environmentPath(cell.environment_name)}>{cell.environment_name}</a>
            </th>
            <StateCellColumns cell={cell} now={ctx.now} />
            <td>
              {(cell.buttons ?? []).map((button) => (
                <ExternalLink class="button secondary" href={button.url}>
                  {button.name}
                </ExternalLink>
              ))}
            </td>
          </tr>
        ))}
      </ListTable>

      <h2>Versions</h2>
      <VersionsTable versions={props.versions} places={places} now={ctx.now} />

      <div class="grid-2">
        <section aria-labelledby="timeline-title">
          <h2 id="timeline-title">History</h2>
          {timeline.length === 0 ? (
            <p class="muted">No builds or deployments yet.</p>
          ) : (
            <ol class="timeline">
              {timeline.map((entry) =>
                entry.kind === "deployment" ? (
                  <li class="kind-deployment">
                    <When at={entry.at} now={ctx.now} /> · <StatusBadge status={entry.deployment.status} />{" "}
                    <a href={deploymentPath(entry.deployment.id)}>
                      {entry.deployment.version} to {entry.deployment.environment_name}
                    </a>
                    {entry.deployment.deployed_by ? ` by ${entry.deployment.deployed_by}` : ""}
                  </li>
                ) : (
                  <li class="kind-build">
                    <When at={entry.at} now={ctx.now} /> · <StatusBadge status={entry.version.status} /> build
                    of <a href={versionPath(entry.version.id)}>{entry.version.version}</a>
                    {entry.version.built_by ? ` by ${entry.version.built_by}` : ""}
                  </li>
                ),
              )}
            </ol>
          )}
        </section>
        <section aria-labelledby="meta-title">
          <h2 id="meta-title">Metadata</h2>
          <div class="card">
            <MetadataList data={product.extra_metadata} />
          </div>
          <h2>Variables</h2>
          {props.variables.length === 0 ? (
            <p class="muted">No variables.</p>
          ) : (
            <ListTable columns={["Key", "Value", "Scope"]}>
              {props.variables.map((variable) => (
                <tr>
                  <th scope="row">
                    <code>{variable.key}</code>
                  </th>
                  <td>
                    {variable.secret ? (
                      <span class="muted" title="Secret: never shown">
                        {variable.value} (secret)
                      </span>
                    ) : (
                      <code>{variable.value}</code>
                    )}
                  </td>
                  <td>{variable.scope}</td>
                </tr>
              ))}
            </ListTable>
          )}
        </section>
      </div>
      {can(ctx, "products.write") ? <ProductForms ctx={ctx} product={product} /> : null}
    </Layout>
  );
}

/** Newest first; each row links the diff from the version before it when the repository allows. */
export function VersionsTable(props: {
  versions: Version[];
  places: Map<string, Array<{ environment: string; since: string }>>;
  now: Date;
}) {
  if (props.versions.length === 0) return <p class="muted">No versions yet.</p>;
  return (
    <ListTable columns={["Version", "Commit", "Build", "Created", "Runs in", "Changes"]}>
      {props.versions.map((version, index) => {
        const previous = props.versions[index + 1];
        const compare =
          previous?.scm_sha && version.scm_sha
            ? compareUrl(version.scm_repository, previous.scm_sha, version.scm_sha)
            : null;
        return (
          <tr>
            <th scope="row">
              <a class="version" href={versionPath(version.id)}>
                {version.version}
              </a>
            </th>
            <td>
              <ShortSha sha={version.scm_sha} />
              {version.scm_branch ? <small> {version.scm_branch}</small> : null}
            </td>
            <td>
              <StatusBadge status={version.status} />
            </td>
            <td>
              <When at={version.created_at} now={props.now} />
            </td>
            <td class="wrap">
              {(props.places.get(version.id) ?? []).map((place, i) => (
                <>
                  {i > 0 ? ", " : ""}
                  <a href={environmentPath(place.environment)}>{place.environment}</a>
                </>
              ))}
            </td>
            <td>
              {compare && previous ? (
                <a href={compare} rel="noopener noreferrer">
                  Compare with {previous.version}
                </a>
              ) : null}
            </td>
          </tr>
        );
      })}
    </ListTable>
  );
}

function ProductForms(props: { ctx: PageContext; product: Product }) {
  const { product, ctx } = props;
  const action = `/dashboard/products/${encodeURIComponent(product.name)}`;
  return (
    <div class="grid-2">
      <section class="card" aria-labelledby="edit-title">
        <h2 id="edit-title">Edit product</h2>
        <form method="post" action={action} class="stack">
          <Csrf token={ctx.csrfToken} />
          <label>
            Name (renaming keeps every version and deployment)
            <input name="name" value={product.name} required maxlength={255} />
          </label>
          <label>
            Description
            <input name="description" value={product.description ?? ""} maxlength={4096} />
          </label>
          <label>
            Metadata (one <code>key = value</code> per line)
            <textarea name="extra_metadata">{formatMetadata(product.extra_metadata)}</textarea>
          </label>
          <div>
            <button type="submit">Save</button>
          </div>
        </form>
      </section>
      <section class="card" aria-labelledby="delete-title">
        <h2 id="delete-title">Delete product</h2>
        <p>Deletes every version, build and deployment of {product.name}. This cannot be undone.</p>
        <form method="post" action={`${action}/delete`} class="stack">
          <Csrf token={ctx.csrfToken} />
          <label>
            <span>
              Type <strong>{product.name}</strong> to confirm
            </span>
            <input name="confirm" required autocomplete="off" />
          </label>
          <div>
            <button type="submit" class="danger">
              Delete {product.name}
            </button>
          </div>
        </form>
      </section>
    </div>
  );
}
