import { ENVIRONMENT_TYPES, type StateCell } from "@versioner/schema";
import type { HtmlEscapedString } from "hono/utils/html";
import { When } from "../components.tsx";
import type { PageContext } from "../layout.tsx";
import { Layout } from "../layout.tsx";
import { LIVE_STREAM } from "../live-updates.ts";
import type { Matrix, MatrixFilters, MatrixRow } from "../matrix-model.ts";
import { deploymentPath, environmentPath, preflightPath, productPath, versionPath } from "../paths.ts";

/** An active environment lock as the matrix marks it (`product` null: the whole environment). */
export interface MatrixLock {
  environment: string;
  product: string | null;
  reason: string;
  locked_by: string;
}

function lockOf(locks: readonly MatrixLock[], environment: string, product?: string): MatrixLock | undefined {
  return locks.find((l) => l.environment === environment && (l.product === null || l.product === product));
}

/** The products × environments matrix: the dashboard's home. */
export function MatrixPage(props: {
  ctx: PageContext;
  /** The rendered MatrixSection (cached across requests, see matrix-cache.ts). */
  section: HtmlEscapedString;
  filters: MatrixFilters;
  environments: string[];
  teams: string[];
}) {
  return (
    <Layout ctx={props.ctx} title="Matrix">
      <div class="page-header">
        <div>
          <h1>What runs where</h1>
          <p class="lead">The current version of every product in every environment.</p>
        </div>
        <div class="actions">
          <a class="button secondary" href="/diff">
            Compare environments
          </a>
        </div>
      </div>
      <FilterForm filters={props.filters} teams={props.teams} environments={props.environments} />
      {props.section}
    </Layout>
  );
}

function FilterForm(props: { filters: MatrixFilters; teams: string[]; environments: string[] }) {
  const { filters } = props;
  // Without JavaScript the form submits on "Apply"; with htmx every change swaps just the matrix
  // and pushes the new URL, so filters survive a reload either way.
  return (
    <form
      class="filters"
      method="get"
      action="/"
      aria-label="Filter the matrix"
      hx-get="/"
      hx-trigger="change, input delay:300ms from:input[type=search]"
      hx-target="#matrix"
      hx-select="#matrix"
      hx-swap="outerHTML"
      hx-push-url="true"
    >
      <label>
        Product
        <input type="search" name="product" value={filters.product} placeholder="Name contains…" />
      </label>
      <fieldset>
        <legend>Environments</legend>
        <div class="choices">
          {props.environments.map((name) => (
            <label class="choice">
              <input
                type="checkbox"
                name="environment"
                value={name}
                checked={filters.environments.includes(name)}
              />
              {name}
            </label>
          ))}
        </div>
      </fieldset>
      <fieldset>
        <legend>Types</legend>
        <div class="choices">
          {ENVIRONMENT_TYPES.map((type) => (
            <label class="choice">
              <input type="checkbox" name="type" value={type} checked={filters.types.includes(type)} />
              {type}
            </label>
          ))}
        </div>
      </fieldset>
      <label>
        Team
        <select name="team">
          <option value="">All teams</option>
          {props.teams.map((team) => (
            <option value={team} selected={filters.team === team}>
              {team}
            </option>
          ))}
        </select>
      </label>
      <label class="choice toggle">
        <input type="hidden" name="drift" value="0" />
        <input type="checkbox" name="drift" value="1" checked={filters.drift} />
        Highlight drift
      </label>
      <div class="filter-actions">
        <button type="submit">Apply</button>
        <a href="/?clear=1">Clear filters</a>
      </div>
    </form>
  );
}

/** The part of the page that live updates and filter changes replace (by its id). */
export function MatrixSection(props: {
  now: Date;
  matrix: Matrix;
  filters: MatrixFilters;
  locks?: readonly MatrixLock[];
}) {
  const { matrix, now } = props;
  const locks = props.locks ?? [];
  return (
    <section id="matrix" aria-labelledby="matrix-title" data-live={LIVE_STREAM}>
      <FailureBanner now={now} matrix={matrix} />
      <div class="matrix-bar">
        <h2 id="matrix-title">Environment state</h2>
        <p class="muted">
          {matrix.rows.length === matrix.totals.products
            ? `${matrix.totals.products} products`
            : `${matrix.rows.length} of ${matrix.totals.products} products`}{" "}
          · {matrix.columns.length} of {matrix.totals.environments} environments
          {props.filters.drift ? ` · ${matrix.rows.filter((r) => r.drift).length} drifted` : ""}
        </p>
      </div>
      {matrix.rows.length === 0 || matrix.columns.length === 0 ? (
        <p class="empty">
          {matrix.totals.products === 0
            ? "Nothing deployed yet. Send a build or deployment event (see the docs) and it appears here."
            : "No product or environment matches these filters."}
        </p>
      ) : (
        <div class="table-wrap">
          <table class={props.filters.drift ? "matrix show-drift" : "matrix"}>
            <caption class="visually-hidden">
              Current version per product (rows) and environment (columns)
            </caption>
            <thead>
              <tr>
                <th scope="col">Product</th>
                {matrix.columns.map((col) => (
                  <th scope="col">
                    <a href={environmentPath(col.name)}>{col.name}</a>
                    <LockMark lock={locks.find((l) => l.environment === col.name && l.product === null)} />
                    <small>
                      {col.type}
                      {col.activeAt ? (
                        <>
                          {" · "}
                          <When at={col.activeAt} now={now} prefix="active " />
                        </>
                      ) : (
                        " · idle"
                      )}
                    </small>
                  </th>
                ))}
              </tr>
            </thead>
            <tbody>
              {matrix.rows.map((row) => (
                <Row row={row} now={now} locks={locks} />
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}

function FailureBanner(props: { now: Date; matrix: Matrix }) {
  const failures = props.matrix.failures;
  if (failures.length === 0) return null;
  const shown = failures.slice(0, 5);
  return (
    <div class="banner banner-failed" role="alert">
      <ul>
        {shown.map((f) => (
          <li>
            <span aria-hidden="true">✗ </span>
            <strong>{f.product}</strong> last deployment failed in <strong>{f.environment}</strong> (
            {f.version}) · <When at={f.at} now={props.now} />{" "}
            <a href={deploymentPath(f.deploymentId)}>View deployment</a>
          </li>
        ))}
      </ul>
      {failures.length > shown.length ? (
        <p>
          and {failures.length - shown.length} more:{" "}
          <a href="/deployments?status=failed">all failed deployments</a>
        </p>
      ) : null}
    </div>
  );
}

function Row(props: { row: MatrixRow; now: Date; locks: readonly MatrixLock[] }) {
  const { row } = props;
  return (
    <tr class={row.drift ? "drift" : undefined} data-product={row.name}>
      <th scope="row">
        <a href={productPath(row.name)}>{row.name}</a>
        {row.drift ? <span class="drift-tag">drift</span> : null}
        {row.team ? <small class="team">{row.team}</small> : null}
      </th>
      {row.cells.map((cell) => (
        <Cell
          cell={cell}
          now={props.now}
          product={row.name}
          lock={lockOf(props.locks, cell.environment_name, row.name)}
        />
      ))}
    </tr>
  );
}

function LockMark(props: { lock: MatrixLock | undefined }) {
  const { lock } = props;
  if (!lock) return null;
  return (
    <a class="mark mark-locked" href="/rules#locks" title={`Locked by ${lock.locked_by}: ${lock.reason}`}>
      locked<span class="visually-hidden">: {lock.reason}</span>
    </a>
  );
}

function Cell(props: { cell: StateCell; now: Date; product: string; lock: MatrixLock | undefined }) {
  const { cell } = props;
  const classes = [
    "cell",
    cell.failed ? "failed" : "",
    cell.in_progress ? "in-progress" : "",
    props.lock ? "locked" : "",
  ].filter(Boolean);
  return (
    <td class={classes.join(" ")} data-environment={cell.environment_name}>
      {cell.current ? (
        <a class="version" href={versionPath(cell.current.version_id)}>
          {cell.current.version}
        </a>
      ) : (
        <span class="muted">
          <span aria-hidden="true">—</span>
          <span class="visually-hidden">not deployed</span>
        </span>
      )}
      {cell.current?.rolled_back_from ? (
        <a
          class="mark"
          href={deploymentPath(cell.current.deployment_id)}
          title={`A rollback from ${cell.current.rolled_back_from}`}
        >
          <span aria-hidden="true">↩</span>
          <span class="visually-hidden"> rolled back from {cell.current.rolled_back_from}</span>
        </a>
      ) : null}
      {cell.in_progress ? (
        <a
          class="mark mark-progress"
          href={deploymentPath(cell.in_progress.deployment_id)}
          title={`Deploying ${cell.in_progress.version} (${cell.in_progress.status})`}
        >
          <span aria-hidden="true">▶</span> {cell.in_progress.version}
          <span class="visually-hidden"> in progress</span>
        </a>
      ) : null}
      {cell.failed ? (
        <a
          class="mark mark-failed"
          href={deploymentPath(cell.failed.deployment_id)}
          title={`Deploying ${cell.failed.version} ${cell.failed.status}`}
        >
          <span aria-hidden="true">✗</span> {cell.failed.version}
          <span class="visually-hidden"> {cell.failed.status}</span>
        </a>
      ) : null}
      <LockMark lock={props.lock} />
      <a
        class="mark mark-check"
        href={preflightPath({ product: props.product, environment: cell.environment_name })}
        title={`May I deploy ${props.product} to ${cell.environment_name}?`}
      >
        <span aria-hidden="true">?</span>
        <span class="visually-hidden">
          May I deploy {props.product} to {cell.environment_name}?
        </span>
      </a>
      {cell.current ? (
        <small class="by">
          {cell.current.deployed_by ? `${cell.current.deployed_by} · ` : ""}
          <When at={cell.current.deployed_at} now={props.now} />
        </small>
      ) : null}
    </td>
  );
}
