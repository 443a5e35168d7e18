import type { AddressInfo } from "node:net";
import { SMTPServer } from "smtp-server";

// The HTTP stand-in for Slack, Teams and webhook consumers is the collector's own test receiver.
export {
  type HttpReceiver,
  type ReceivedRequest,
  startReceiver as startHttpReceiver,
} from "@versioner/collector/testing/http-receiver";

export interface ReceivedMail {
  from: string | false;
  to: string[];
  raw: string;
  /** The raw message with quoted-printable soft line breaks joined, for simple `includes` checks. */
  text: string;
}

/** A real SMTP server in-process (the `smtp-server` package), without TLS or auth. */
export async function startSmtpReceiver(): Promise<{
  url: string;
  mails: ReceivedMail[];
  close(): Promise<void>;
}> {
  const mails: ReceivedMail[] = [];
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ["STARTTLS", "AUTH"],
    logger: false,
    onData(stream, session, callback) {
      let raw = "";
      stream.setEncoding("utf8");
      stream.on("data", (chunk: string) => {
        raw += chunk;
      });
      stream.on("end", () => {
        mails.push({
          from: session.envelope.mailFrom ? session.envelope.mailFrom.address : false,
          to: session.envelope.rcptTo.map((rcpt) => rcpt.address),
          raw,
          text: raw.replace(/=\r?\n/g, ""),
        });
        callback();
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.server.address() as AddressInfo;
  return {
    url: `smtp://127.0.0.1:${port}`,
    mails,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
