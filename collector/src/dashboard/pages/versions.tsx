import type { Build, Deployment, StateCell, Version } from "@versioner/schema";
import { listDeployments } from "../../catalog/deployments-service.ts";
import { getState } from "../../catalog/state-service.ts";
import { getVersion } from "../../catalog/versions-service.ts";
import { listVersionApprovals, type VersionApprovalView } from "../../governance/approvals-service.ts";
import type { AppDeps } from "../../http/app-env.ts";
import { repositoryWebUrl } from "../compare-links.ts";
import {
  ExternalLink,
  ListTable,
  MetadataList,
  PageHeader,
  ShortSha,
  StatusBadge,
  When,
} from "../components.tsx";
import type { DashboardRouter } from "../dashboard-http.tsx";
import { param } from "../dashboard-http.tsx";
import { Layout, type PageContext } from "../layout.tsx";
import { environmentPath, productPath } from "../paths.ts";
import { VersionApprovals } from "./approvals.tsx";
import { DeploymentsTable } from "./deployments.tsx";
import { placesByVersion, productCells } from "./products.tsx";

export function registerVersionPages(router: DashboardRouter, deps: AppDeps) {
  router.page("/versions/:id", async (c, ctx) => {
    const version = await getVersion(deps, param(c, "id"));
    const [state, deployments, approvals] = await Promise.all([
      getState(deps),
      listDeployments(deps, { product: version.product_id, version: version.version, limit: 100 }),
      listVersionApprovals(deps, version.id),
    ]);
    return (
      <VersionPage
        ctx={ctx}
        version={version}
        cells={productCells(state, version.product_id)}
        deployments={deployments.items}
        approvals={approvals}
      />
    );
  });
}

function VersionPage(props: {
  ctx: PageContext;
  version: Version & { builds: Build[] };
  cells: StateCell[];
  deployments: Deployment[];
  approvals: VersionApprovalView[];
}) {
  const { ctx, version } = props;
  const places = placesByVersion(props.cells).get(version.id) ?? [];
  const repository = repositoryWebUrl(version.scm_repository);
  return (
    <Layout ctx={ctx} title={`${version.product_name} ${version.version}`}>
      <PageHeader
        title={
          <>
            <a href={productPath(version.product_name)}>{version.product_name}</a> {version.version}
          </>
        }
        lead={<StatusBadge status={version.status} />}
      />
      <div class="grid-2">
        <section class="card" aria-labelledby="source-title">
          <h2 id="source-title">Source</h2>
          <dl class="meta">
            <dt>Commit</dt>
            <dd>
              <ShortSha sha={version.scm_sha} />
              {repository && version.scm_sha ? (
                <>
                  {" "}
                  <a
                    href={`${repository.href}/commit/${encodeURIComponent(version.scm_sha)}`}
                    rel="noopener noreferrer"
                  >
                    view commit
                  </a>
                </>
              ) : null}
            </dd>
            <dt>Repository</dt>
            <dd>{version.scm_repository ?? "—"}</dd>
            <dt>Branch</dt>
            <dd>{version.scm_branch ?? "—"}</dd>
            <dt>Committed</dt>
            <dd>
              <When at={version.scm_committed_at} now={ctx.now} />
            </dd>
            <dt>Built by</dt>
            <dd>{version.built_by_name ?? version.built_by ?? "—"}</dd>
            <dt>First seen</dt>
            <dd>
              <When at={version.created_at} now={ctx.now} />
            </dd>
          </dl>
        </section>
        <section class="card" aria-labelledby="runs-title">
          <h2 id="runs-title">Where it runs</h2>
          {places.length === 0 ? (
            <p class="muted">Not the current version anywhere.</p>
          ) : (
            <ul>
              {places.map((place) => (
                <li>
                  <a href={environmentPath(place.environment)}>{place.environment}</a> since{" "}
                  <When at={place.since} now={ctx.now} />
                </li>
              ))}
            </ul>
          )}
          <h2>Metadata</h2>
          <MetadataList data={version.extra_metadata} />
        </section>
      </div>
      <h2>Builds</h2>
      {version.builds.length === 0 ? (
        <p class="muted">No build records (the version arrived with a deployment).</p>
      ) : (
        <ListTable columns={["Build", "Status", "System", "By", "Received"]}>
          {version.builds.map((build) => (
            <tr>
              <th scope="row">
                <ExternalLink href={build.build_url}>{build.build_number ?? "build"}</ExternalLink>
              </th>
              <td>
                <StatusBadge status={build.status} />
              </td>
              <td>{build.source_system ?? "—"}</td>
              <td>{build.built_by ?? "—"}</td>
              <td>
                <When at={build.created_at} now={ctx.now} />
              </td>
            </tr>
          ))}
        </ListTable>
      )}
      <VersionApprovals ctx={ctx} versionId={version.id} approvals={props.approvals} />
      <h2>Deployments</h2>
      <DeploymentsTable deployments={props.deployments} now={ctx.now} />
    </Layout>
  );
}
