import { describe } from "./message-facts.ts";
import type { NotificationPayload } from "./payload.ts";

export interface EmailMessage {
  subject: string;
  text: string;
  html: string;
}

function escapeHtml(value: string): string {
  return value
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;")
    .replace(/'/g, "&#39;");
}

/** A short plain-text and HTML email with the same facts and links as the chat messages. */
export function emailMessage(payload: NotificationPayload): EmailMessage {
  const { title, facts, links } = describe(payload);
  const text = [
    title,
    "",
    ...facts.map((fact) => `${fact.label}: ${fact.value}`),
    ...(links.length > 0 ? ["", ...links.map((link) => `${link.label}: ${link.url}`)] : []),
    "",
    `-- Versioner (${payload.event_type}, event ${payload.id})`,
  ].join("\n");
  const rows = facts
    .map(
      (fact) =>
        `<tr><th align="left" style="padding:2px 12px 2px 0">${escapeHtml(fact.label)}</th><td>${escapeHtml(fact.value)}</td></tr>`,
    )
    .join("");
  const anchors = links
    .map((link) => `<a href="${escapeHtml(link.url)}">${escapeHtml(link.label)}</a>`)
    .join(" &middot; ");
  const html = [
    '<!doctype html><html><body style="font-family:sans-serif">',
    `<h2 style="margin:0 0 12px">${escapeHtml(title)}</h2>`,
    `<table>${rows}</table>`,
    anchors ? `<p>${anchors}</p>` : "",
    `<p style="color:#888;font-size:12px">Versioner &middot; ${escapeHtml(payload.event_type)}</p>`,
    "</body></html>",
  ].join("");
  return { subject: title, text, html };
}
