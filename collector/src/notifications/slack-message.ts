import { describe } from "./message-facts.ts";
import type { NotificationPayload } from "./payload.ts";

// Slack's limits: header text 150 characters, 10 fields per section, 25 elements per actions block.
const HEADER_MAX = 150;

/** mrkdwn needs only these three escaped (Slack's "Formatting text" guide). */
function escapeMrkdwn(value: string): string {
  return value.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

/** A Block Kit message for a Slack incoming webhook; `text` is the notification fallback. */
export function slackMessage(payload: NotificationPayload): Record<string, unknown> {
  const { title, facts, links } = describe(payload);
  const blocks: Array<Record<string, unknown>> = [
    { type: "header", text: { type: "plain_text", text: title.slice(0, HEADER_MAX), emoji: true } },
    {
      type: "section",
      fields: facts
        .slice(0, 10)
        .map((fact) => ({ type: "mrkdwn", text: `*${fact.label}*\n${escapeMrkdwn(fact.value)}` })),
    },
  ];
  if (links.length > 0) {
    blocks.push({
      type: "actions",
      elements: links.slice(0, 25).map((link, index) => ({
        type: "button",
        action_id: `versioner_link_${index}`,
        text: { type: "plain_text", text: link.label.slice(0, 75), emoji: true },
        url: link.url,
      })),
    });
  }
  blocks.push({
    type: "context",
    elements: [{ type: "mrkdwn", text: `Versioner · ${escapeMrkdwn(payload.event_type)}` }],
  });
  return { text: title, blocks };
}
