// Reads the test stack's mail catcher (Mailpit) through its HTTP API: what arrived for an address, with
// each message's subject, parts and headers.
import { testConfig } from './env';

export interface CaughtMail {
  id: string;
  to: string[];
  subject: string;
  text: string;
  html: string;
  messageId: string;
  language: string | null;
  deliveryKey: string | null;
  createdAt: string;
}

/** Bounds the number of messages one search reads. */
export const SEARCH_RESULTS_MAX = 1_000;

async function api<T>(path: string): Promise<T> {
  const response = await fetch(`${testConfig.mailCatcherUrl}/api/v1${path}`, { signal: AbortSignal.timeout(10_000) });
  if (!response.ok) throw new Error(`mail catcher ${path}: HTTP ${response.status}`);
  return (await response.json()) as T;
}

/** Every mail sent to `address`, oldest first. */
export async function mailsTo(address: string): Promise<CaughtMail[]> {
  const found = await api<{ messages: Array<{ ID: string; Created: string }> }>(
    `/search?query=${encodeURIComponent(`to:"${address}"`)}&limit=${SEARCH_RESULTS_MAX}`,
  );
  const mails: CaughtMail[] = [];
  for (const summary of found.messages) {
    const message = await api<{ ID: string; MessageID: string; Subject: string; Text: string; HTML: string; To: Array<{ Address: string }> }>(
      `/message/${summary.ID}`,
    );
    const headers = await api<Record<string, string[]>>(`/message/${summary.ID}/headers`);
    mails.push({
      id: message.ID,
      to: message.To.map((t) => t.Address),
      subject: message.Subject,
      text: message.Text,
      html: message.HTML,
      messageId: message.MessageID,
      language: headers['Content-Language']?.[0] ?? null,
      deliveryKey: headers['X-Poolflow-Delivery']?.[0] ?? null,
      createdAt: summary.Created,
    });
  }
  return mails.sort((a, b) => a.createdAt.localeCompare(b.createdAt));
}
