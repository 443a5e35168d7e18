import { createServer, type IncomingHttpHeaders } from "node:http";
import type { AddressInfo } from "node:net";
import { SMTPServer } from "smtp-server";

export interface ReceivedRequest {
  headers: IncomingHttpHeaders;
  body: string;
  json: any;
  /** The status this receiver answered with. */
  status: number;
}

/**
 * A loopback HTTP endpoint standing in for Slack, Teams or a webhook consumer. It answers with the
 * statuses in `script`, in order, then with `fallback` (200 unless changed).
 */
export interface HttpReceiver {
  url: string;
  received: ReceivedRequest[];
  script: number[];
  fallback: number;
  close(): Promise<void>;
}

export async function startHttpReceiver(script: number[] = []): Promise<HttpReceiver> {
  const receiver = { received: [] as ReceivedRequest[], script: [...script], fallback: 200 } as HttpReceiver;
  const server = createServer((req, res) => {
    let body = "";
    req.setEncoding("utf8");
    req.on("data", (chunk: string) => {
      body += chunk;
    });
    req.on("end", () => {
      const status = receiver.script.shift() ?? receiver.fallback;
      receiver.received.push({
        headers: req.headers,
        body,
        json: body ? JSON.parse(body) : undefined,
        status,
      });
      res.writeHead(status, { "content-type": "text/plain" });
      res.end(status < 300 ? "ok" : `answered ${status}`);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  receiver.url = `http://127.0.0.1:${port}/services/T000/B000/secret-token`;
  receiver.close = () =>
    new Promise((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return receiver;
}

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
