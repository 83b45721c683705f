// Email out: nodemailer over SMTP when SMTP_URL is set, otherwise the built-in outbox (the
// message is marked sent with provider 'outbox' and can be read back through the messages API).
import nodemailer from 'nodemailer';
import type { ComposedEmail } from './email-compose.ts';
import { PermanentDeliveryError } from './delivery-error.ts';

export type EmailTransport = {
  /** Recorded on the message when claimed; 'outbox' means nothing leaves the process. */
  provider: 'smtp' | 'outbox';
  send(mail: ComposedEmail): Promise<{ providerId: string | null }>;
  close(): void;
};

export function createEmailTransport(smtpUrl: string | undefined): EmailTransport {
  if (!smtpUrl) {
    return { provider: 'outbox', send: async (mail) => ({ providerId: mail.messageId }), close() {} };
  }
  // Short timeouts: a send must finish well inside the delivery lease (see deliver.ts). Pooled:
  // a connection (and its greeting, EHLO and any AUTH) serves many messages instead of one, which
  // is most of a send's time on a fast relay; the pool is no larger than deliver.ts's parallel sends.
  const transporter = nodemailer.createTransport({
    url: smtpUrl,
    pool: true,
    maxConnections: 4,
    maxMessages: 100,
    connectionTimeout: 10_000,
    greetingTimeout: 10_000,
    socketTimeout: 30_000,
  });
  return {
    provider: 'smtp',
    async send(mail) {
      try {
        const info = await transporter.sendMail({
          from: mail.from,
          to: mail.to,
          subject: mail.subject,
          html: mail.html,
          text: mail.text,
          messageId: mail.messageId,
          headers: mail.headers,
        });
        return { providerId: typeof info.messageId === 'string' ? info.messageId : mail.messageId };
      } catch (err) {
        const code = (err as { responseCode?: unknown }).responseCode;
        // 5xx is the server's final word on this message; 4xx and network trouble may pass later.
        if (typeof code === 'number' && code >= 500 && code < 600) {
          throw new PermanentDeliveryError(`SMTP ${code}: ${(err as Error).message}`, { cause: err });
        }
        throw err;
      }
    },
    close() {
      transporter.close();
    },
  };
}
