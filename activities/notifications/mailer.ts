// Sends email over SMTP (the local stack's mail catcher, or any relay in production) with an explicit
// timeout. The Message-ID is derived from the delivery key, so a receiving system sees a repeat — should
// one ever happen in the moment between the relay's acceptance and our record of it — as the same mail.
import { createHash } from 'node:crypto';
import nodemailer from 'nodemailer';

export interface OutgoingMail {
  to: string;
  subject: string;
  text: string;
  html: string;
  language: string;
  deliveryKey: string;
}

export interface Mailer {
  send(mail: OutgoingMail): Promise<{ messageId: string }>;
  close(): void;
}

const SMTP_TIMEOUT_MS = 20_000;

export function messageIdFor(deliveryKey: string): string {
  return `<${createHash('sha256').update(deliveryKey).digest('hex').slice(0, 40)}@notices.poolflow>`;
}

export function createMailer(options: { smtpUrl: string; from: string }): Mailer {
  const transport = nodemailer.createTransport(options.smtpUrl, {
    connectionTimeout: SMTP_TIMEOUT_MS,
    greetingTimeout: SMTP_TIMEOUT_MS,
    socketTimeout: SMTP_TIMEOUT_MS,
  });
  return {
    async send(mail) {
      const messageId = messageIdFor(mail.deliveryKey);
      await transport.sendMail({
        from: options.from,
        to: mail.to,
        subject: mail.subject,
        text: mail.text,
        html: mail.html,
        messageId,
        headers: { 'Content-Language': mail.language, 'X-Poolflow-Delivery': mail.deliveryKey },
      });
      return { messageId };
    },
    close: () => transport.close(),
  };
}
