import { createHmac } from "node:crypto";
import { createTransport, type Transporter } from "nodemailer";
import type { NotificationConfig } from "../config.ts";
import type { SecretBox } from "../db/secret-box.ts";
import { type CdeventsSettings, sendCdevent } from "./cdevents-channel.ts";
import { emailMessage } from "./email-message.ts";
import { failure, postJson, type SendOutcome } from "./http-sender.ts";
import type { NotificationPayload } from "./payload.ts";
import { slackMessage } from "./slack-message.ts";
import { teamsMessage } from "./teams-message.ts";

/** What the sender needs of a channel: its kind and its settings and secrets, in clear. */
export interface SendableChannel {
  kind: string;
  settings: { recipients?: string[]; cdevents?: CdeventsSettings };
  secrets: { url?: string; secret?: string; headers?: Record<string, string> };
}

/** A stored channel row as the sender sees it (settings and secrets are JSON columns; secrets sealed). */
export function sendable(
  row: { kind: string; settings: Record<string, unknown>; secrets: unknown },
  secrets: SecretBox,
): SendableChannel {
  return {
    kind: row.kind,
    settings: row.settings as SendableChannel["settings"],
    secrets: secrets.openJson<SendableChannel["secrets"]>(row.secrets),
  };
}

export interface Delivery {
  id: string;
  payload: NotificationPayload;
}

/** Signs `timestamp + "." + body` with HMAC-SHA256, as `X-Versioner-Signature: sha256=<hex>`. */
export function signature(secret: string, timestamp: string, body: string): string {
  return `sha256=${createHmac("sha256", secret).update(`${timestamp}.${body}`).digest("hex")}`;
}

/** The exact request a webhook channel receives. */
function webhookRequest(
  channel: SendableChannel,
  delivery: Delivery,
  now: Date,
): { body: string; headers: Record<string, string> } {
  const body = JSON.stringify(delivery.payload);
  const timestamp = String(Math.floor(now.getTime() / 1000));
  const headers: Record<string, string> = {
    ...channel.secrets.headers,
    "x-versioner-event": delivery.payload.event_type,
    "x-versioner-delivery": delivery.id,
    "x-versioner-timestamp": timestamp,
  };
  if (channel.secrets.secret)
    headers["x-versioner-signature"] = signature(channel.secrets.secret, timestamp, body);
  return { body, headers };
}

/** Sends one delivery over its channel's transport; never throws, always classifies. */
export class ChannelSender {
  #mailer: Transporter | undefined;

  constructor(private readonly config: NotificationConfig) {}

  async send(channel: SendableChannel, delivery: Delivery, now: Date): Promise<SendOutcome> {
    const options = { timeoutMs: this.config.timeoutMs, allowPrivate: this.config.allowPrivateAddresses };
    const url = channel.secrets.url ?? "";
    switch (channel.kind) {
      case "slack":
        return postJson(url, JSON.stringify(slackMessage(delivery.payload)), {}, options);
      case "teams":
        return postJson(url, JSON.stringify(teamsMessage(delivery.payload)), {}, options);
      case "webhook": {
        const request = webhookRequest(channel, delivery, now);
        return postJson(url, request.body, request.headers, options);
      }
      case "email":
        return this.#sendEmail(channel, delivery);
      case "cdevents":
        return sendCdevent(channel, delivery.payload, options);
      default:
        return failure(false, null, `unknown channel kind '${channel.kind}'`);
    }
  }

  async #sendEmail(channel: SendableChannel, delivery: Delivery): Promise<SendOutcome> {
    if (!this.config.smtpUrl) return failure(true, null, "SMTP_URL is not configured");
    this.#mailer ??= createTransport(this.config.smtpUrl);
    const message = emailMessage(delivery.payload);
    let timer: NodeJS.Timeout | undefined;
    try {
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => reject(new Error(`timed out after ${this.config.timeoutMs} ms`)),
          this.config.timeoutMs,
        );
      });
      const info = await Promise.race([
        this.#mailer.sendMail({
          from: this.config.smtpFrom,
          to: channel.settings.recipients ?? [],
          subject: message.subject,
          text: message.text,
          html: message.html,
          headers: { "X-Versioner-Event": delivery.payload.event_type, "X-Versioner-Delivery": delivery.id },
        }),
        timeout,
      ]);
      return {
        ok: true,
        retryable: false,
        response_code: 250,
        error: null,
        retry_after_ms: null,
        response_excerpt: info.response.slice(0, 512),
      };
    } catch (error) {
      // SMTP 5xx replies are permanent (unknown mailbox…); 4xx and connection failures are not.
      const code = (error as { responseCode?: unknown }).responseCode;
      const smtpCode = typeof code === "number" ? code : null;
      const message = error instanceof Error ? error.message : String(error);
      return failure(smtpCode === null || smtpCode < 500, smtpCode, message.slice(0, 500));
    } finally {
      clearTimeout(timer);
    }
  }

  close(): void {
    this.#mailer?.close();
  }
}
