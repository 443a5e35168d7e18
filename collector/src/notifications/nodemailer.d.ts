// Minimal types for the part of nodemailer the collector uses (the package ships none, and
// @types/nodemailer is not a dependency).
declare module "nodemailer" {
  export interface SendMailOptions {
    from?: string;
    to?: string | string[];
    subject?: string;
    text?: string;
    html?: string;
    headers?: Record<string, string>;
  }
  export interface SentMessageInfo {
    messageId: string;
    response: string;
    accepted: Array<string | { address: string }>;
    rejected: Array<string | { address: string }>;
  }
  export interface Transporter {
    sendMail(options: SendMailOptions): Promise<SentMessageInfo>;
    close(): void;
  }
  export function createTransport(options: string | Record<string, unknown>): Transporter;
  const nodemailer: { createTransport: typeof createTransport };
  export default nodemailer;
}
