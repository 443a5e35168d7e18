import { describe } from "./message-facts.ts";
import type { NotificationPayload } from "./payload.ts";

/**
 * An Adaptive Card (1.4, the version Teams renders everywhere) wrapped as the message that both
 * legacy incoming webhooks and Power Automate "workflow" webhooks accept.
 */
export function teamsMessage(payload: NotificationPayload): Record<string, unknown> {
  const { title, tone, facts, links } = describe(payload);
  return {
    type: "message",
    attachments: [
      {
        contentType: "application/vnd.microsoft.card.adaptive",
        contentUrl: null,
        content: {
          $schema: "http://adaptivecards.io/schemas/adaptive-card.json",
          type: "AdaptiveCard",
          version: "1.4",
          body: [
            {
              type: "TextBlock",
              text: title,
              weight: "Bolder",
              size: "Medium",
              wrap: true,
              color: tone === "good" ? "Good" : tone === "bad" ? "Attention" : "Default",
            },
            { type: "FactSet", facts: facts.map((fact) => ({ title: fact.label, value: fact.value })) },
          ],
          actions: links.map((link) => ({ type: "Action.OpenUrl", title: link.label, url: link.url })),
        },
      },
    ],
  };
}
