import {
  type Deployment,
  isInProgress,
  isSucceeded,
  STATUSES,
  type StateCell,
  type Status,
} from "@versioner/schema";
import type { Child } from "hono/jsx";
import { deploymentPath, versionPath } from "./paths.ts";
import { exactTime, relativeTime } from "./relative-time.ts";

/** A relative time ("3 days ago") with the exact time on hover; dashboard.js keeps it fresh. */
export function When(props: { at: string | null | undefined; now: Date; prefix?: string }) {
  if (!props.at) return <span class="muted">—</span>;
  return (
    <time datetime={props.at} title={exactTime(props.at)} data-relative={props.prefix ?? ""}>
      {props.prefix ?? ""}
      {relativeTime(props.at, props.now)}
    </time>
  );
}

function statusSymbol(status: Status): string {
  if (isInProgress(status)) return "▶";
  return isSucceeded(status) ? "✓" : "✗";
}

/** A status as text with a symbol, never as colour alone (colour-blind and screen-reader users). */
export function StatusBadge(props: { status: string | null | undefined }) {
  if (!props.status) return <span class="muted">—</span>;
  const status = props.status as Status;
  return (
    <span class={`status status-${status}`}>
      <span aria-hidden="true">{STATUSES.includes(status) ? statusSymbol(status) : "•"}</span>{" "}
      {status.replace("_", " ")}
    </span>
  );
}

/** A rollback (back to a version that ran there before, docs/insight.md), or a deployment one replaced. */
export function RollbackMark(props: {
  deployment: Pick<
    Deployment,
    | "is_rollback"
    | "rolled_back_from"
    | "rolled_back_from_deployment_id"
    | "rolled_back"
    | "rolled_back_by_deployment_id"
  >;
}) {
  const d = props.deployment;
  if (d.is_rollback) {
    return (
      <span class="rollback">
        <span aria-hidden="true">↩ </span>
        rollback from{" "}
        {d.rolled_back_from_deployment_id ? (
          <a href={deploymentPath(d.rolled_back_from_deployment_id)}>
            {d.rolled_back_from ?? "the previous version"}
          </a>
        ) : (
          (d.rolled_back_from ?? "the previous version")
        )}
      </span>
    );
  }
  if (d.rolled_back) {
    return (
      <span class="rollback">
        {d.rolled_back_by_deployment_id ? (
          <a href={deploymentPath(d.rolled_back_by_deployment_id)}>rolled back</a>
        ) : (
          "rolled back"
        )}
      </span>
    );
  }
  return null;
}

export function ShortSha(props: { sha: string | null | undefined }) {
  if (!props.sha) return <span class="muted">—</span>;
  return (
    <code title={props.sha} class="sha">
      {props.sha.slice(0, 8)}
    </code>
  );
}

/** A page's title row: heading, optional lead text and actions on the right. */
export function PageHeader(props: { title: Child; lead?: Child; actions?: Child }) {
  return (
    <div class="page-header">
      <div>
        <h1>{props.title}</h1>
        {props.lead ? <p class="lead">{props.lead}</p> : null}
      </div>
      {props.actions ? <div class="actions">{props.actions}</div> : null}
    </div>
  );
}

/** Hidden CSRF field every dashboard form carries; the route checks it against the session. */
export function Csrf(props: { token: string }) {
  return <input type="hidden" name="_csrf" value={props.token} />;
}

/** Key/value pairs of a JSON object as a definition list (metadata of products, environments, deployments). */
export function MetadataList(props: { data: Record<string, unknown> }) {
  const entries = Object.entries(props.data);
  if (entries.length === 0) return <p class="muted">None.</p>;
  return (
    <dl class="meta">
      {entries.map(([key, value]) => (
        <>
          <dt>{key}</dt>
          <dd>{typeof value === "string" ? value : JSON.stringify(value)}</dd>
        </>
      ))}
    </dl>
  );
}

/** "Newer →" style pager over the API's cursor pagination: pages keep the other query parameters. */
export function Pager(props: { base: string; query: URLSearchParams; nextCursor: string | null }) {
  if (!props.nextCursor && !props.query.has("cursor")) return null;
  const next = new URLSearchParams(props.query);
  if (props.nextCursor) next.set("cursor", props.nextCursor);
  return (
    <nav class="pager" aria-label="Pages">
      {props.query.has("cursor") ? (
        <a href={`${props.base}?${withoutCursor(props.query)}`}>First page</a>
      ) : null}
      {props.nextCursor ? (
        <a href={`${props.base}?${next}`} rel="next">
          Older →
        </a>
      ) : null}
    </nav>
  );
}

function withoutCursor(query: URLSearchParams): string {
  const copy = new URLSearchParams(query);
  copy.delete("cursor");
  return copy.toString();
}

/** http(s) URLs only: build, deploy and button URLs come from CI and must not run script. */
export function safeHref(url: string | null | undefined): string | undefined {
  if (!url || !URL.canParse(url)) return undefined;
  const protocol = new URL(url).protocol;
  return protocol === "https:" || protocol === "http:" ? url : undefined;
}

/** A link to another site when the URL is a web address; the text alone otherwise. */
export function ExternalLink(props: { href: string | null | undefined; children: Child; class?: string }) {
  const href = safeHref(props.href);
  if (!href) return <span class={props.class}>{props.children}</span>;
  return (
    <a href={href} rel="noopener noreferrer" class={props.class}>
      {props.children}
    </a>
  );
}

/** A list table with its header row; rows come as children. */
export function ListTable(props: { columns: Child[]; children: Child; class?: string }) {
  return (
    <div class="table-wrap">
      <table class={props.class ?? "list"}>
        <thead>
          <tr>
            {props.columns.map((column) => (
              <th scope="col">{column}</th>
            ))}
          </tr>
        </thead>
        <tbody>{props.children}</tbody>
      </table>
    </div>
  );
}

/** Version, since when (and by whom) and the latest attempt of one product × environment cell. */
export function StateCellColumns(props: { cell: StateCell; now: Date }) {
  const { cell } = props;
  const attempt = cell.in_progress
    ? {
        status: cell.in_progress.status,
        version: cell.in_progress.version,
        id: cell.in_progress.deployment_id,
      }
    : cell.failed
      ? { status: cell.failed.status, version: cell.failed.version, id: cell.failed.deployment_id }
      : null;
  return (
    <>
      <td>
        {cell.current ? (
          <a class="version" href={versionPath(cell.current.version_id)}>
            {cell.current.version}
          </a>
        ) : (
          <span class="muted">not deployed</span>
        )}
      </td>
      <td>
        {cell.current ? (
          <>
            <When at={cell.current.deployed_at} now={props.now} />
            {cell.current.deployed_by ? ` by ${cell.current.deployed_by}` : ""}
          </>
        ) : null}
      </td>
      <td>
        {attempt ? (
          <a href={deploymentPath(attempt.id)}>
            <StatusBadge status={attempt.status} /> {attempt.version}
          </a>
        ) : cell.current ? (
          <StatusBadge status="completed" />
        ) : null}
      </td>
    </>
  );
}
