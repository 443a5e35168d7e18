import { ValidationError } from "../../errors.ts";
import { actorFrom } from "../../http/actor.ts";
import {
  CHANNEL_KINDS,
  type ChannelKind,
  createChannel,
  listChannels,
} from "../../notifications/channels-service.ts";
import { type DashboardRouter, field, requireCapability, withQuery } from "../dashboard-http.tsx";
import { ChannelForm, describeSubscription, kindLabel, readChannelForm } from "./channel-form.tsx";
import { ListTable, SettingsLayout } from "./settings-layout.tsx";
import type { SettingsDeps } from "./settings-routes.tsx";

export const NOTIFICATIONS_PAGE = "/settings/notifications";

export function channelPath(id: string): string {
  return `${NOTIFICATIONS_PAGE}/${encodeURIComponent(id)}`;
}

/** Notification channels (notifications.manage: admins and SREs): the list and a new channel. */
export function registerNotificationsPage(router: DashboardRouter, { deps }: SettingsDeps) {
  router.page(NOTIFICATIONS_PAGE, async (_c, ctx) => {
    requireCapability(ctx, "notifications.manage");
    const channels = await listChannels(deps);
    return (
      <SettingsLayout
        ctx={ctx}
        title="Notifications"
        lead="Channels that receive build, deployment, release and approval events. Their URLs and secrets are write-only."
      >
        <details class="card">
          <summary>New channel</summary>
          <ChannelForm
            action="/dashboard/settings/notifications"
            csrf={ctx.csrfToken}
            submit="Create channel"
          />
        </details>
        <ListTable
          caption="Notification channels"
          headers={["Channel", "Kind", "Sends to", "Subscriptions", "State"]}
          rows={channels.map((channel) => (
            <tr data-channel={channel.name}>
              <th scope="row">
                <a href={channelPath(channel.id)}>{channel.name}</a>
              </th>
              <td>{kindLabel(channel.kind)}</td>
              <td>
                {channel.kind === "email" ? channel.recipients.join(", ") : <code>{channel.url_hint}</code>}
              </td>
              <td class="wrap">
                {channel.subscriptions.length === 0 ? (
                  <span class="muted">none</span>
                ) : (
                  channel.subscriptions.map((sub) => <span class="block">{describeSubscription(sub)}</span>)
                )}
              </td>
              <td>{channel.enabled ? "enabled" : <span class="muted">disabled</span>}</td>
            </tr>
          ))}
          empty="No channels yet: nothing is sent anywhere."
        />
      </SettingsLayout>
    );
  });

  router.action(
    "/dashboard/settings/notifications",
    "notifications.manage",
    async (c, form) => {
      const kind = field(form, "kind");
      if (!(CHANNEL_KINDS as readonly string[]).includes(kind)) {
        throw ValidationError.field(["body", "kind"], `must be one of ${CHANNEL_KINDS.join(", ")}`);
      }
      const input = readChannelForm(form, kind as ChannelKind);
      const channel = await createChannel(deps, actorFrom(c), {
        ...input,
        name: input.name ?? "",
        kind: kind as ChannelKind,
      });
      return withQuery(channelPath(channel.id), "notice", `Created ${channel.name}`);
    },
    () => NOTIFICATIONS_PAGE,
  );
}
