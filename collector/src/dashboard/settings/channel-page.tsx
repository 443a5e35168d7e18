import { actorFrom } from "../../http/actor.ts";
import {
  type ChannelKind,
  deleteChannel,
  findChannel,
  testChannel,
  updateChannel,
} from "../../notifications/channels-service.ts";
import {
  DELIVERY_STATUSES,
  type DeliveryView,
  listDeliveries,
} from "../../notifications/deliveries-service.ts";
import { Pager, When } from "../components.tsx";
import { type DashboardRouter, requireCapability, withQuery } from "../dashboard-http.tsx";
import type { PageContext } from "../layout.tsx";
import { ChannelForm, describeSubscription, kindLabel, readChannelForm } from "./channel-form.tsx";
import { deliveryPath } from "./delivery-page.tsx";
import { channelPath, NOTIFICATIONS_PAGE } from "./notifications-page.tsx";
import { ListTable, PostButton, SettingsLayout } from "./settings-layout.tsx";
import type { SettingsDeps } from "./settings-routes.tsx";

const DELIVERIES_PER_PAGE = 25;

/** One channel: its settings, test, enable/disable, delete, and its delivery log with replay. */
export function registerChannelPage(router: DashboardRouter, { deps }: SettingsDeps) {
  router.page(`${NOTIFICATIONS_PAGE}/:id`, async (c, ctx) => {
    requireCapability(ctx, "notifications.manage");
    const { view: channel } = await findChannel(deps, c.req.param("id") ?? "");
    const query = new URL(c.req.url).searchParams;
    const status = query.get("status") ?? "";
    const deliveries = await listDeliveries(deps, {
      channel: channel.id,
      status: (DELIVERY_STATUSES as readonly string[]).includes(status) ? status : undefined,
      limit: DELIVERIES_PER_PAGE,
      cursor: query.get("cursor") ?? undefined,
    });
    const action = `/dashboard/settings/notifications/${encodeURIComponent(channel.id)}`;
    return (
      <SettingsLayout
        ctx={ctx}
        title={channel.name}
        lead={`${kindLabel(channel.kind)} · ${channel.enabled ? "enabled" : "disabled"}`}
        actions={
          <>
            <PostButton action={`${action}/test`} csrf={ctx.csrfToken} label="Send a test" />
            <PostButton
              action={`${action}/enabled`}
              csrf={ctx.csrfToken}
              label={channel.enabled ? "Disable" : "Enable"}
              hidden={{ enabled: String(!channel.enabled) }}
            />
          </>
        }
      >
        <section class="card" aria-labelledby="channel-title">
          <h2 id="channel-title">Sends to</h2>
          <dl class="meta">
            {channel.kind === "email" ? (
              <>
                <dt>Recipients</dt>
                <dd>{channel.recipients.join(", ")}</dd>
              </>
            ) : (
              <>
                <dt>URL</dt>
                <dd>
                  <code>{channel.url_hint}</code> <small>(the rest is write-only)</small>
                </dd>
              </>
            )}
            {channel.kind === "webhook" ? (
              <>
                <dt>Signing secret</dt>
                <dd>{channel.secret_set ? "set" : "none"}</dd>
                <dt>Extra headers</dt>
                <dd>{channel.header_names.length ? channel.header_names.join(", ") : "none"}</dd>
              </>
            ) : null}
            <dt>Subscriptions</dt>
            <dd>
              {channel.subscriptions.length === 0
                ? "none: this channel receives nothing"
                : channel.subscriptions.map((sub) => <span class="block">{describeSubscription(sub)}</span>)}
            </dd>
          </dl>
        </section>
        <details class="card">
          <summary>Edit channel</summary>
          <ChannelForm action={action} csrf={ctx.csrfToken} channel={channel} submit="Save channel" />
        </details>
        <details class="card">
          <summary>Delete channel</summary>
          <p>Deleting removes the channel, its subscriptions and its whole delivery log.</p>
          <PostButton
            action={`${action}/delete`}
            csrf={ctx.csrfToken}
            label={`Delete ${channel.name}`}
            class="danger"
          />
        </details>
        <h2 id="deliveries-title">Delivery log</h2>
        <form
          method="get"
          action={channelPath(channel.id)}
          class="inline-form filters"
          aria-label="Filter deliveries"
        >
          <label>
            Status
            <select name="status">
              <option value="">Any</option>
              {DELIVERY_STATUSES.map((value) => (
                <option value={value} selected={value === status}>
                  {value}
                </option>
              ))}
            </select>
          </label>
          <button type="submit" class="secondary">
            Filter
          </button>
        </form>
        <DeliveryTable deliveries={deliveries.items} ctx={ctx} />
        <Pager base={channelPath(channel.id)} query={query} nextCursor={deliveries.next_cursor} />
      </SettingsLayout>
    );
  });

  const back = (c: { req: { param(name: string): string | undefined } }) =>
    channelPath(c.req.param("id") ?? "");

  router.action(
    "/dashboard/settings/notifications/:id",
    "notifications.manage",
    async (c, form) => {
      const id = c.req.param("id") ?? "";
      const { view } = await findChannel(deps, id);
      const channel = await updateChannel(
        deps,
        actorFrom(c),
        id,
        readChannelForm(form, view.kind as ChannelKind),
      );
      return withQuery(channelPath(channel.id), "notice", `Saved ${channel.name}`);
    },
    back,
  );

  router.action(
    "/dashboard/settings/notifications/:id/enabled",
    "notifications.manage",
    async (c, form) => {
      const enabled = form.enabled === "true";
      const channel = await updateChannel(deps, actorFrom(c), c.req.param("id") ?? "", { enabled });
      return withQuery(
        channelPath(channel.id),
        "notice",
        `${channel.name} ${enabled ? "enabled" : "disabled"}`,
      );
    },
    back,
  );

  router.action(
    "/dashboard/settings/notifications/:id/delete",
    "notifications.manage",
    async (c) => {
      const id = c.req.param("id") ?? "";
      const { view } = await findChannel(deps, id);
      await deleteChannel(deps, actorFrom(c), id);
      return withQuery(NOTIFICATIONS_PAGE, "notice", `Deleted ${view.name}`);
    },
    back,
  );

  router.action(
    "/dashboard/settings/notifications/:id/test",
    "notifications.manage",
    async (c) => {
      const id = c.req.param("id") ?? "";
      const outcome = await testChannel(deps, id);
      const answer = outcome.response_code ? `HTTP ${outcome.response_code}` : (outcome.error ?? "no answer");
      return outcome.ok
        ? withQuery(channelPath(id), "notice", `Test delivered (${answer}, ${outcome.duration_ms} ms)`)
        : withQuery(
            channelPath(id),
            "error",
            `Test failed: ${answer}${outcome.error && outcome.response_code ? ` (${outcome.error})` : ""}`,
          );
    },
    back,
  );
}

/** The deliveries of a channel, newest first, each with its page and a replay. */
function DeliveryTable(props: { deliveries: DeliveryView[]; ctx: PageContext }) {
  return (
    <ListTable
      caption="Deliveries of this channel"
      headers={["Queued", "Event", "Status", "Attempts", "Last answer", "Actions"]}
      rows={props.deliveries.map((delivery) => (
        <tr data-delivery={delivery.id}>
          <td>
            <a href={deliveryPath(delivery.id)}>
              <When at={delivery.created_at} now={props.ctx.now} />
            </a>
            {delivery.replay_of ? <small class="block">replay</small> : null}
          </td>
          <td>{delivery.event_type}</td>
          <td>
            <span class={`status delivery-${delivery.status}`}>{delivery.status}</span>
          </td>
          <td>{delivery.attempts}</td>
          <td class="wrap">
            {delivery.last_response_code ? `HTTP ${delivery.last_response_code}` : ""}
            {delivery.last_error ? <small class="block">{delivery.last_error.slice(0, 160)}</small> : null}
          </td>
          <td>
            <PostButton
              action={`/dashboard/settings/notifications/deliveries/${encodeURIComponent(delivery.id)}/replay`}
              csrf={props.ctx.csrfToken}
              label="Replay"
              ariaLabel={`Replay the ${delivery.event_type} delivery`}
            />
          </td>
        </tr>
      ))}
      empty="No deliveries."
    />
  );
}
