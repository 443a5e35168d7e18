import type { Status } from "@versioner/schema";
import type { Child } from "hono/jsx";
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

const STATUS_SYMBOL: Record<Status, string> = {
  pending: "▶",
  started: "▶",
  completed: "✓",
  failed: "✗",
  aborted: "✗",
};

/** A status as text with a symbol, never as colour alone (colour-blind and screen-reader users). */
export function StatusBadge(props: { status: string | null | undefined }) {
  if (!props.status) return <span class="muted">—</span>;
  const status = props.status as Status;
  return (
    <span class={`status status-${status}`}>
      <span aria-hidden="true">{STATUS_SYMBOL[status] ?? "•"}</span> {status.replace("_", " ")}
    </span>
  );
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
