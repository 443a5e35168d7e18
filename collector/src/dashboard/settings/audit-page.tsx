import { listAuditLog } from "../../audit/audit-routes.ts";
import { ValidationError } from "../../errors.ts";
import { Pager, When } from "../components.tsx";
import { type DashboardRouter, requireCapability } from "../dashboard-http.tsx";
import { ListTable, SettingsLayout } from "./settings-layout.tsx";
import type { SettingsDeps } from "./settings-routes.tsx";

const PAGE = "/settings/audit";
const PAGE_SIZE = 50;
const DATE = /^\d{4}-\d{2}-\d{2}$/;

/** Entity families of the audit actions, for the filter (`user.` matches every user.* action). */
const ACTION_FAMILIES = [
  "api_key.",
  "button.",
  "environment.",
  "notification_channel.",
  "notification_delivery.",
  "product.",
  "release.",
  "token.",
  "user.",
  "variable.",
];

/** A day (from a date input) as the first or last instant of that day, UTC. */
function dayBound(value: string, name: "since" | "until"): string | undefined {
  if (!value) return undefined;
  if (!DATE.test(value) || Number.isNaN(Date.parse(value))) {
    throw ValidationError.field(["query", name], "must be a date (YYYY-MM-DD)");
  }
  return name === "since" ? `${value}T00:00:00.000Z` : `${value}T23:59:59.999Z`;
}

function Change(props: { label: string; value: Record<string, unknown> | null }) {
  if (!props.value) return null;
  return (
    <>
      <strong class="block">{props.label}</strong>
      <pre class="json">{JSON.stringify(props.value, null, 2)}</pre>
    </>
  );
}

/** The audit log (audit.read: admins, security, compliance): filterable by action, actor, target and day. */
export function registerAuditPage(router: DashboardRouter, { deps }: SettingsDeps) {
  router.page(PAGE, async (c, ctx) => {
    requireCapability(ctx, "audit.read");
    const query = new URL(c.req.url).searchParams;
    const filters = {
      action: query.get("action")?.trim() ?? "",
      actor: query.get("actor")?.trim() ?? "",
      target_type: query.get("target_type")?.trim() ?? "",
      target_id: query.get("target_id")?.trim() ?? "",
      since: query.get("since") ?? "",
      until: query.get("until") ?? "",
    };
    const page = await listAuditLog(deps, {
      limit: PAGE_SIZE,
      cursor: query.get("cursor") || undefined,
      action: filters.action || undefined,
      actor: filters.actor || undefined,
      target_type: filters.target_type || undefined,
      target_id: filters.target_id || undefined,
      since: dayBound(filters.since, "since"),
      until: dayBound(filters.until, "until"),
    });
    return (
      <SettingsLayout
        ctx={ctx}
        title="Audit log"
        lead="Who changed what and when, newest first. Secrets are never recorded."
      >
        <form method="get" action={PAGE} class="filters" aria-label="Filter the audit log">
          <label>
            Action
            <input
              type="text"
              name="action"
              value={filters.action}
              list="audit-actions"
              placeholder="user. or user.update"
            />
            <datalist id="audit-actions">
              {ACTION_FAMILIES.map((family) => (
                <option value={family}></option>
              ))}
            </datalist>
          </label>
          <label>
            Actor id
            <input type="text" name="actor" value={filters.actor} />
          </label>
          <label>
            Target type
            <input type="text" name="target_type" value={filters.target_type} placeholder="user, api_key…" />
          </label>
          <label>
            Target id
            <input type="text" name="target_id" value={filters.target_id} />
          </label>
          <label>
            From
            <input type="date" name="since" value={filters.since} />
          </label>
          <label>
            To
            <input type="date" name="until" value={filters.until} />
          </label>
          <div class="filter-actions">
            <button type="submit">Filter</button>
            <a href={PAGE}>Clear</a>
          </div>
        </form>
        <ListTable
          caption="Audit entries"
          headers={["When", "Who", "Action", "Target", "Change"]}
          rows={page.items.map((entry) => (
            <tr data-action={entry.action}>
              <td>
                <When at={entry.at} now={ctx.now} />
              </td>
              <td>
                <a href={`${PAGE}?actor=${encodeURIComponent(entry.actor_id)}`}>{entry.actor_name}</a>
                <small class="block">{entry.actor_type}</small>
              </td>
              <td>
                <code>{entry.action}</code>
              </td>
              <td>
                {entry.target_name ?? entry.target_id ?? ""}
                <small class="block">{entry.target_type}</small>
              </td>
              <td class="wrap">
                {entry.before || entry.after ? (
                  <details>
                    <summary>Details</summary>
                    <Change label="Before" value={entry.before} />
                    <Change label="After" value={entry.after} />
                  </details>
                ) : null}
              </td>
            </tr>
          ))}
          empty="No entries match."
        />
        <Pager base={PAGE} query={query} nextCursor={page.next_cursor} />
      </SettingsLayout>
    );
  });
}
