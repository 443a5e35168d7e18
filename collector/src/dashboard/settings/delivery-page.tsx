import { actorFrom } from "../../http/actor.ts";
import { findChannel } from "../../notifications/channels-service.ts";
import { getDelivery, replayDelivery } from "../../notifications/deliveries-service.ts";
import { When } from "../components.tsx";
import { type DashboardRouter, requireCapability, withQuery } from "../dashboard-http.tsx";
import { channelPath, NOTIFICATIONS_PAGE } from "./notifications-page.tsx";
import { ListTable, PostButton, SettingsLayout } from "./settings-layout.tsx";
import type { SettingsDeps } from "./settings-routes.tsx";

export function deliveryPath(id: string): string {
  return `${NOTIFICATIONS_PAGE}/deliveries/${encodeURIComponent(id)}`;
}

/** One delivery: the payload it sends, every attempt with its answer, and a replay. */
export function registerDeliveryPage(router: DashboardRouter, { deps }: SettingsDeps) {
  router.page(`${NOTIFICATIONS_PAGE}/deliveries/:id`, async (c, ctx) => {
    requireCapability(ctx, "notifications.manage");
    const delivery = await getDelivery(deps, c.req.param("id") ?? "");
    const { view: channel } = await findChannel(deps, delivery.channel_id);
    return (
      <SettingsLayout
        ctx={ctx}
        title={`${delivery.event_type} to ${channel.name}`}
        lead={
          <>
            {delivery.status} after {delivery.attempts} attempt{delivery.attempts === 1 ? "" : "s"} · queued{" "}
            <When at={delivery.created_at} now={ctx.now} />
          </>
        }
        actions={
          <PostButton
            action={`/dashboard/settings/notifications/deliveries/${encodeURIComponent(delivery.id)}/replay`}
            csrf={ctx.csrfToken}
            label="Replay"
          />
        }
      >
        <p>
          <a href={channelPath(channel.id)}>← {channel.name}</a>
          {delivery.replay_of ? (
            <>
              {" · "}replay of <a href={deliveryPath(delivery.replay_of)}>an earlier delivery</a>
            </>
          ) : null}
        </p>
        <h2 id="attempts-title">Attempts</h2>
        <ListTable
          caption="Attempts"
          headers={["#", "Started", "Outcome", "Answer", "Took"]}
          rows={delivery.attempt_history.map((attempt) => (
            <tr>
              <td>{attempt.attempt}</td>
              <td>
                <When at={attempt.started_at} now={ctx.now} />
              </td>
              <td>{attempt.outcome}</td>
              <td class="wrap">
                {attempt.response_code ? `HTTP ${attempt.response_code}` : ""}
                {attempt.error ? <small class="block">{attempt.error}</small> : null}
                {attempt.response_excerpt ? (
                  <small class="block">
                    <code>{attempt.response_excerpt.slice(0, 300)}</code>
                  </small>
                ) : null}
              </td>
              <td>{attempt.duration_ms} ms</td>
            </tr>
          ))}
          empty={
            delivery.next_attempt_at
              ? `Not attempted yet; next attempt at ${delivery.next_attempt_at}.`
              : "Not attempted."
          }
        />
        <h2>Payload</h2>
        <pre class="json" tabindex={0}>
          {JSON.stringify(delivery.payload, null, 2)}
        </pre>
      </SettingsLayout>
    );
  });

  router.action(
    "/dashboard/settings/notifications/deliveries/:id/replay",
    "notifications.manage",
    async (c) => {
      const replay = await replayDelivery(deps, actorFrom(c), c.req.param("id") ?? "");
      return withQuery(channelPath(replay.channel_id), "notice", `Replay of ${replay.event_type} queued`);
    },
    () => NOTIFICATIONS_PAGE,
  );
}
