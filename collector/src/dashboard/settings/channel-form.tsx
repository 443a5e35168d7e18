import { ENVIRONMENT_TYPES } from "@versioner/schema";
import { ValidationError } from "../../errors.ts";
import {
  CHANNEL_KINDS,
  type ChannelInput,
  type ChannelKind,
  type ChannelView,
  type SubscriptionInput,
} from "../../notifications/channels-service.ts";
import { NOTIFICATION_EVENT_TYPES } from "../../notifications/payload.ts";
import { Csrf } from "../components.tsx";
import { field } from "../dashboard-http.tsx";
import { checked, fieldList, requiredText, splitList } from "./settings-layout.tsx";

const FAMILIES = ["build", "deployment", "release", "version"] as const;

/** The event-type choices of a subscription: everything, a whole family, or single types. */
const EVENT_GROUPS = FAMILIES.map((family) => ({
  family,
  pattern: `${family}.*`,
  types: NOTIFICATION_EVENT_TYPES.filter((type) => type.startsWith(`${family}.`)),
}));

const KIND_LABEL: Record<ChannelKind, string> = {
  slack: "Slack (incoming webhook)",
  teams: "Microsoft Teams (incoming webhook)",
  webhook: "Webhook (signed JSON POST)",
  email: "Email",
  cdevents: "CDEvents sink (CloudEvents binary mode)",
};

export function kindLabel(kind: ChannelKind): string {
  return KIND_LABEL[kind];
}

/** One subscription as a fieldset; `index` names its fields (sub0.events[], sub0.products…). */
function SubscriptionFields(props: { index: number; value?: Required<SubscriptionInput>; title: string }) {
  const prefix = `sub${props.index}`;
  const events = new Set(props.value?.event_types ?? []);
  const id = (name: string) => `${props.index}-${name}`;
  return (
    <fieldset class="subscription">
      <legend>{props.title}</legend>
      <div class="choices">
        <label class="choice">
          <input type="checkbox" name={`${prefix}.events[]`} value="*" checked={events.has("*")} />
          every event (*)
        </label>
      </div>
      {EVENT_GROUPS.map((group) => (
        <div class="choices">
          <label class="choice">
            <input
              type="checkbox"
              name={`${prefix}.events[]`}
              value={group.pattern}
              checked={events.has(group.pattern)}
            />
            <strong>{group.pattern}</strong>
          </label>
          {group.types.map((type) => (
            <label class="choice">
              <input type="checkbox" name={`${prefix}.events[]`} value={type} checked={events.has(type)} />
              {type.slice(group.family.length + 1)}
            </label>
          ))}
        </div>
      ))}
      <div class="inline-form">
        <label for={id("products")}>
          Products (comma-separated; empty = all)
          <input
            id={id("products")}
            type="text"
            name={`${prefix}.products`}
            value={props.value?.products.join(", ")}
          />
        </label>
        <label for={id("environments")}>
          Environments (empty = all)
          <input
            id={id("environments")}
            type="text"
            name={`${prefix}.environments`}
            value={props.value?.environments.join(", ")}
          />
        </label>
        <label for={id("statuses")}>
          Statuses (empty = all)
          <input
            id={id("statuses")}
            type="text"
            name={`${prefix}.statuses`}
            value={props.value?.statuses.join(", ")}
          />
        </label>
      </div>
      <div class="choices">
        <span class="muted">Environment types (none = all):</span>
        {ENVIRONMENT_TYPES.map((type) => (
          <label class="choice">
            <input
              type="checkbox"
              name={`${prefix}.types[]`}
              value={type}
              checked={props.value?.environment_types.includes(type)}
            />
            {type}
          </label>
        ))}
      </div>
    </fieldset>
  );
}

/**
 * The create and edit form of a channel. URLs, the webhook secret and header values are
 * write-only: the edit form never shows them and an empty field keeps what is stored.
 */
export function ChannelForm(props: { action: string; csrf: string; channel?: ChannelView; submit: string }) {
  const { channel } = props;
  const kind = channel?.kind;
  const shows = (...kinds: ChannelKind[]) => kind === undefined || kinds.includes(kind);
  const subscriptions = channel?.subscriptions ?? [];
  const blank = channel
    ? undefined
    : { event_types: ["deployment.*"], products: [], environments: [], environment_types: [], statuses: [] };
  return (
    <form method="post" action={props.action} class="stack channel-form">
      <Csrf token={props.csrf} />
      <label>
        Name
        <input type="text" name="name" required maxlength={255} value={channel?.name} />
      </label>
      {channel ? (
        <p>
          Kind: <strong>{kindLabel(channel.kind)}</strong> (a channel's kind cannot change)
        </p>
      ) : (
        <label>
          Kind
          <select name="kind">
            {CHANNEL_KINDS.map((value) => (
              <option value={value}>{kindLabel(value)}</option>
            ))}
          </select>
        </label>
      )}
      <label class="choice">
        <input type="checkbox" name="enabled" value="1" checked={channel?.enabled ?? true} />
        Enabled
      </label>
      {shows("slack", "teams", "webhook", "cdevents") ? (
        <label>
          URL{kind ? "" : " (Slack, Teams, webhook, CDEvents sink)"}
          <input
            type="url"
            name="url"
            maxlength={2048}
            autocomplete="off"
            placeholder={
              channel?.url_hint ? `${channel.url_hint} (stored; leave empty to keep)` : "https://…"
            }
          />
        </label>
      ) : null}
      {shows("webhook") ? (
        <>
          <label>
            Signing secret{kind ? "" : " (webhook)"}
            <input
              type="password"
              name="secret"
              maxlength={1024}
              autocomplete="new-password"
              placeholder={channel?.secret_set ? "set (leave empty to keep)" : "none"}
            />
          </label>
          {channel?.secret_set ? (
            <label class="choice">
              <input type="checkbox" name="clear_secret" value="1" /> Remove the signing secret
            </label>
          ) : null}
        </>
      ) : null}
      {shows("cdevents") ? (
        <label>
          CDEvents spec version{kind ? "" : " (CDEvents)"}
          <select name="spec_version">
            {["0.5", "0.4"].map((version) => (
              <option value={version} selected={channel?.cdevents?.spec_version === version}>
                {version}
              </option>
            ))}
          </select>
        </label>
      ) : null}
      {shows("webhook", "cdevents") ? (
        <>
          <label>
            Extra headers{kind ? "" : " (webhook, CDEvents)"}, one “Name: value” per line
            <textarea
              name="headers"
              placeholder={
                channel?.header_names.length
                  ? `${channel.header_names.join(", ")} (stored; leave empty to keep)`
                  : "X-Team: payments"
              }
            ></textarea>
          </label>
          {channel?.header_names.length ? (
            <label class="choice">
              <input type="checkbox" name="clear_headers" value="1" /> Remove the extra headers
            </label>
          ) : null}
        </>
      ) : null}
      {shows("email") ? (
        <label>
          Recipients{kind ? "" : " (email)"}, one address per line
          <textarea name="recipients">{channel?.recipients.join("\n")}</textarea>
        </label>
      ) : null}
      <input type="hidden" name="subscription_count" value={String(subscriptions.length + 1)} />
      {subscriptions.map((sub, index) => (
        <SubscriptionFields
          index={index}
          value={sub}
          title={`Subscription ${index + 1} (untick every event to remove it)`}
        />
      ))}
      <SubscriptionFields
        index={subscriptions.length}
        value={blank}
        title={subscriptions.length ? "Add a subscription" : "Subscription"}
      />
      <div>
        <button type="submit">{props.submit}</button>
      </div>
    </form>
  );
}

function readHeaders(text: string): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [index, line] of text.split("\n").entries()) {
    if (!line.trim()) continue;
    const colon = line.indexOf(":");
    if (colon <= 0) throw ValidationError.field(["body", "headers", index], "must be “Name: value”");
    headers[line.slice(0, colon).trim()] = line.slice(colon + 1).trim();
  }
  return headers;
}

function environmentTypes(values: string[], index: number): string[] {
  const known: readonly string[] = ENVIRONMENT_TYPES;
  const unknown = values.find((value) => !known.includes(value));
  if (unknown !== undefined) {
    throw ValidationError.field(
      ["body", "subscriptions", index, "environment_types"],
      `must be among ${ENVIRONMENT_TYPES.join(", ")}`,
    );
  }
  return values;
}

/** The form as the service's input; empty write-only fields are left out, so they keep their value. */
export function readChannelForm(form: Record<string, unknown>, kind: ChannelKind): ChannelInput {
  const input: ChannelInput = { name: requiredText(form, "name"), enabled: checked(form, "enabled") };
  if (kind === "email") input.recipients = splitList(field(form, "recipients"));
  else {
    const url = field(form, "url");
    if (url) input.url = url;
  }
  if (kind === "webhook") {
    const secret = String(form.secret ?? "");
    if (checked(form, "clear_secret")) input.secret = null;
    else if (secret) input.secret = secret;
  }
  if (kind === "cdevents") {
    const specVersion = field(form, "spec_version");
    if (specVersion) input.cdevents = { spec_version: specVersion };
  }
  if (kind === "webhook" || kind === "cdevents") {
    const headers = field(form, "headers");
    if (checked(form, "clear_headers")) input.headers = null;
    else if (headers) input.headers = readHeaders(headers);
  }
  const count = Math.min(Number(field(form, "subscription_count")) || 0, 50);
  input.subscriptions = [];
  for (let index = 0; index < count; index++) {
    const prefix = `sub${index}`;
    const events = fieldList(form, `${prefix}.events`);
    if (events.length === 0) continue;
    input.subscriptions.push({
      event_types: events,
      products: splitList(field(form, `${prefix}.products`)),
      environments: splitList(field(form, `${prefix}.environments`)),
      environment_types: environmentTypes(fieldList(form, `${prefix}.types`), index),
      statuses: splitList(field(form, `${prefix}.statuses`)),
    });
  }
  return input;
}

/** "deployment.* in production (payments)": a subscription in a few words for the channel list. */
export function describeSubscription(sub: Required<SubscriptionInput>): string {
  const where = [
    sub.products.length ? sub.products.join(", ") : "",
    sub.environments.length ? `in ${sub.environments.join(", ")}` : "",
    sub.environment_types.length ? `in ${sub.environment_types.join("/")} environments` : "",
    sub.statuses.length ? `when ${sub.statuses.join(", ")}` : "",
  ].filter(Boolean);
  return [sub.event_types.join(", "), ...where].join(" · ");
}
