import { type Deployment, STATUSES } from "@versioner/schema";
import { getDeployment, listDeployments } from "../../catalog/deployments-service.ts";
import { listEnvironments } from "../../catalog/environments-service.ts";
import type { AppDeps } from "../../http/app-env.ts";
import {
  ExternalLink,
  ListTable,
  MetadataList,
  PageHeader,
  Pager,
  RollbackMark,
  StatusBadge,
  When,
} from "../components.tsx";
import type { DashboardRouter } from "../dashboard-http.tsx";
import { param } from "../dashboard-http.tsx";
import { Layout, type PageContext } from "../layout.tsx";
import { LIVE_STREAM } from "../live-updates.ts";
import { deploymentPath, environmentPath, productPath, versionPath } from "../paths.ts";

const PAGE_SIZE = 50;

/** A date input's day as the start (or end) of that day in UTC, for the API's time filters. */
function dayBound(value: string | undefined, end: boolean): string | undefined {
  if (!value || !/^\d{4}-\d{2}-\d{2}$/.test(value)) return undefined;
  return `${value}T${end ? "23:59:59.999" : "00:00:00.000"}Z`;
}

export function registerDeploymentPages(router: DashboardRouter, deps: AppDeps) {
  router.page("/deployments", async (c, ctx) => {
    const query = new URL(c.req.url).searchParams;
    const filters = {
      product: query.get("product") || undefined,
      environment: query.get("environment") || undefined,
      status: query.get("status") || undefined,
      since: dayBound(query.get("from") ?? undefined, false),
      until: dayBound(query.get("to") ?? undefined, true),
    };
    const [page, environments] = await Promise.all([
      listDeployments(deps, { ...filters, limit: PAGE_SIZE, cursor: query.get("cursor") ?? undefined }),
      listEnvironments(deps, {}),
    ]);
    return (
      <Layout ctx={ctx} title="Deployments">
        <PageHeader title="Deployments" lead="Every deployment attempt, newest first." />
        <form class="filters" method="get" action="/deployments" aria-label="Filter deployments">
          <label>
            Product
            <input type="search" name="product" value={query.get("product") ?? ""} />
          </label>
          <label>
            Environment
            <select name="environment">
              <option value="">All</option>
              {environments.map((env) => (
                <option value={env.name} selected={query.get("environment") === env.name}>
                  {env.name}
                </option>
              ))}
            </select>
          </label>
          <label>
            Status
            <select name="status">
              <option value="">Any</option>
              {STATUSES.map((status) => (
                <option value={status} selected={query.get("status") === status}>
                  {status}
                </option>
              ))}
            </select>
          </label>
          <label>
            From
            <input type="date" name="from" value={query.get("from") ?? ""} />
          </label>
          <label>
            To
            <input type="date" name="to" value={query.get("to") ?? ""} />
          </label>
          <div class="filter-actions">
            <button type="submit">Filter</button>
            <a href="/deployments">Clear</a>
          </div>
        </form>
        {/* The first page follows new deployments live; older pages stay where the reader is. */}
        <div id="deployments" data-live={query.has("cursor") ? undefined : LIVE_STREAM}>
          <DeploymentsTable deployments={page.items} now={ctx.now} />
          <Pager base="/deployments" query={query} nextCursor={page.next_cursor} />
        </div>
      </Layout>
    );
  });

  router.page("/deployments/:id", async (c, ctx) => {
    const deployment = await getDeployment(deps, param(c, "id"));
    return <DeploymentPage ctx={ctx} deployment={deployment} />;
  });
}

export function DeploymentsTable(props: { deployments: Deployment[]; now: Date }) {
  if (props.deployments.length === 0) return <p class="empty">No deployments match.</p>;
  return (
    <ListTable columns={["When", "Product", "Version", "Environment", "Status", "By"]}>
      {props.deployments.map((d) => (
        <tr>
          <td>
            <a href={deploymentPath(d.id)}>
              <When at={d.created_at} now={props.now} />
              <span class="visually-hidden">
                : {d.product_name} {d.version} to {d.environment_name}
              </span>
            </a>
          </td>
          <td>
            <a href={productPath(d.product_name)}>{d.product_name}</a>
          </td>
          <td>
            <a class="version" href={versionPath(d.version_id)}>
              {d.version}
            </a>
          </td>
          <td>
            <a href={environmentPath(d.environment_name)}>{d.environment_name}</a>
          </td>
          <td>
            <StatusBadge status={d.status} /> <RollbackMark deployment={d} />
          </td>
          <td>{d.deployed_by_name ?? d.deployed_by ?? "—"}</td>
        </tr>
      ))}
    </ListTable>
  );
}

function DeploymentPage(props: { ctx: PageContext; deployment: Deployment }) {
  const { ctx, deployment: d } = props;
  return (
    <Layout ctx={ctx} title={`Deployment of ${d.product_name} ${d.version}`}>
      <PageHeader
        title={
          <>
            {d.product_name} {d.version} → {d.environment_name}
          </>
        }
        lead={<StatusBadge status={d.status} />}
      />
      <div class="grid-2">
        <section class="card" aria-labelledby="details-title">
          <h2 id="details-title">Details</h2>
          <dl class="meta">
            <dt>Product</dt>
            <dd>
              <a href={productPath(d.product_name)}>{d.product_name}</a>
            </dd>
            <dt>Version</dt>
            <dd>
              <a href={versionPath(d.version_id)}>{d.version}</a>
            </dd>
            <dt>Environment</dt>
            <dd>
              <a href={environmentPath(d.environment_name)}>{d.environment_name}</a>
            </dd>
            <dt>Status</dt>
            <dd>
              <StatusBadge status={d.status} /> <RollbackMark deployment={d} />
            </dd>
            <dt>Deployed by</dt>
            <dd>
              {d.deployed_by_name ?? d.deployed_by ?? "—"}
              {d.deployed_by_email ? ` <${d.deployed_by_email}>` : ""}
            </dd>
            <dt>Started</dt>
            <dd>
              <When at={d.started_at} now={ctx.now} />
            </dd>
            <dt>Completed</dt>
            <dd>
              <When at={d.completed_at} now={ctx.now} />
            </dd>
            <dt>Received</dt>
            <dd>
              <When at={d.created_at} now={ctx.now} />
            </dd>
            <dt>Source</dt>
            <dd>{d.source_system ?? "—"}</dd>
            <dt>Pipeline</dt>
            <dd>{d.deploy_url ? <ExternalLink href={d.deploy_url}>{d.deploy_url}</ExternalLink> : "—"}</dd>
            <dt>Id</dt>
            <dd>
              <code>{d.id}</code>
            </dd>
          </dl>
        </section>
        <section class="card" aria-labelledby="metadata-title">
          <h2 id="metadata-title">Metadata</h2>
          <MetadataList data={d.extra_metadata} />
        </section>
      </div>
    </Layout>
  );
}
