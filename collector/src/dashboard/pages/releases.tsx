import type { AppDeps } from "../../http/app-env.ts";
import { getProgress } from "../../releases/release-progress.ts";
import { listReleases, RELEASE_STATUSES, type ReleaseStatus } from "../../releases/releases-service.ts";
import { ListTable, PageHeader, Pager, StatusBadge, When } from "../components.tsx";
import type { DashboardRouter } from "../dashboard-http.tsx";
import { param } from "../dashboard-http.tsx";
import { Layout } from "../layout.tsx";
import { LIVE_STREAM } from "../live-updates.ts";
import { deploymentPath, environmentPath, productPath, releasePath, versionPath } from "../paths.ts";
import { exactTime } from "../relative-time.ts";

const PAGE_SIZE = 50;

function ReleaseStatusBadge(props: { status: string }) {
  return <span class={`status status-${props.status}`}>{props.status.replace("_", " ")}</span>;
}

export function registerReleasePages(router: DashboardRouter, deps: AppDeps) {
  router.page("/releases", async (c, ctx) => {
    const query = new URL(c.req.url).searchParams;
    const status = (RELEASE_STATUSES as readonly string[]).includes(query.get("status") ?? "")
      ? (query.get("status") as ReleaseStatus)
      : undefined;
    const page = await listReleases(deps, {
      status,
      limit: PAGE_SIZE,
      cursor: query.get("cursor") ?? undefined,
    });
    return (
      <Layout ctx={ctx} title="Releases">
        <PageHeader title="Releases" lead="Sets of versions that ship together, and how far each has got." />
        <form class="filters" method="get" action="/releases" aria-label="Filter releases">
          <label>
            Status
            <select name="status">
              <option value="">Any</option>
              {RELEASE_STATUSES.map((s) => (
                <option value={s} selected={status === s}>
                  {s.replace("_", " ")}
                </option>
              ))}
            </select>
          </label>
          <button type="submit">Filter</button>
        </form>
        {page.items.length === 0 ? (
          <p class="empty">No releases{status ? ` with status ${status.replace("_", " ")}` : ""}.</p>
        ) : (
          <ListTable columns={["Name", "Status", "Targets", "Created", "Completed"]}>
            {page.items.map((release) => (
              <tr>
                <th scope="row">
                  <a href={releasePath(release.name)}>{release.name}</a>
                </th>
                <td>
                  <ReleaseStatusBadge status={release.status} />
                </td>
                <td class="wrap">
                  {release.target_environments.length > 0
                    ? release.target_environments.join(", ")
                    : "every production environment"}
                </td>
                <td>
                  <When at={release.created_at} now={ctx.now} />
                </td>
                <td>
                  <When at={release.completed_at} now={ctx.now} />
                </td>
              </tr>
            ))}
          </ListTable>
        )}
        <Pager base="/releases" query={query} nextCursor={page.next_cursor} />
      </Layout>
    );
  });

  router.page("/releases/:ref", async (c, ctx) => {
    const progress = await getProgress(deps, param(c, "ref"));
    const { release, summary } = progress;
    const targets = progress.environments.filter((env) => env.target).length;
    return (
      <Layout ctx={ctx} title={release.name}>
        <PageHeader
          title={release.name}
          lead={
            <>
              <ReleaseStatusBadge status={release.status} />
              {release.description ? ` · ${release.description}` : ""}
            </>
          }
        />
        <div id="release-progress" data-live={LIVE_STREAM}>
          <p class="release-summary">
            {summary.deployed} of {progress.products.length * targets} target cells deployed ·{" "}
            {summary.in_progress} in progress · {summary.failed} failed · {summary.not_deployed} not deployed.
            Targets are marked with ◎.
          </p>
          {progress.products.length === 0 ? (
            <p class="empty">This release has no versions yet.</p>
          ) : (
            <div class="table-wrap">
              <table class="matrix release-grid">
                <caption class="visually-hidden">
                  Each member version's latest deployment per environment
                </caption>
                <thead>
                  <tr>
                    <th scope="col">Member</th>
                    {progress.environments.map((env) => (
                      <th scope="col">
                        {env.target ? <span title="Target environment">◎ </span> : null}
                        <a href={environmentPath(env.name)}>{env.name}</a>
                        <small>{env.target ? "target" : env.type}</small>
                      </th>
                    ))}
                  </tr>
                </thead>
                <tbody>
                  {progress.products.map((member) => (
                    <tr data-product={member.product_name}>
                      <th scope="row">
                        <a href={productPath(member.product_name)}>{member.product_name}</a>{" "}
                        <a class="version" href={versionPath(member.version_id)}>
                          {member.version}
                        </a>
                      </th>
                      {member.cells.map((cell) => (
                        <td data-environment={cell.environment_name} class={`cell progress-${cell.status}`}>
                          {cell.deployment_id ? (
                            <a
                              href={deploymentPath(cell.deployment_id)}
                              title={cell.at ? exactTime(cell.at) : undefined}
                            >
                              <StatusBadge status={cell.deployment_status} />
                            </a>
                          ) : (
                            <span class="status status-not_deployed">not deployed</span>
                          )}
                          {cell.at ? (
                            <small class="by">
                              <When at={cell.at} now={ctx.now} />
                            </small>
                          ) : null}
                        </td>
                      ))}
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )}
        </div>
      </Layout>
    );
  });
}
