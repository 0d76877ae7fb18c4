// The sandbox's memory: every object it created (PaymentIntents, charges, refunds, transfers, customers,
// payment methods, accounts, events), the settings tests can change, and the timers of delayed effects.
import { randomBytes } from 'node:crypto';
import type Stripe from 'stripe';
import { z } from 'zod';

export interface SandboxEvent {
  id: string;
  object: 'event';
  api_version: string;
  created: number;
  data: { object: unknown; previous_attributes?: Record<string, unknown> };
  livemode: false;
  pending_webhooks: number;
  request: { id: string | null; idempotency_key: string | null };
  type: string;
}

export interface ObjectTypes {
  payment_intent: Stripe.PaymentIntent;
  charge: Stripe.Charge;
  refund: Stripe.Refund;
  transfer: Stripe.Transfer;
  customer: Stripe.Customer;
  payment_method: Stripe.PaymentMethod;
  account: Stripe.Account;
  event: SandboxEvent;
}
export type ObjectType = keyof ObjectTypes;
export const objectTypes = ['payment_intent', 'charge', 'refund', 'transfer', 'customer', 'payment_method', 'account', 'event'] as const;

export interface StoredObject<K extends ObjectType = ObjectType> {
  id: string;
  type: K;
  body: ObjectTypes[K];
  createdAtMs: number;
  /** The secret key of the request that created it: webhooks for it go to that key's endpoints. */
  secretKey: string;
  /** The Stripe-Version of the creating request, stamped on the events that later effects send. */
  apiVersion: string;
  /** For payment methods attached from a test card: the card (pm_card_…) whose behaviour charges follow. */
  testCard?: string;
}

export const settingsSchema = z.object({
  /** How long a `processing` PaymentIntent waits before it settles (and its webhook goes out). */
  settlementDelayMs: z.number().int().min(0).max(3_600_000),
  /** Stripe's search lags behind writes; objects younger than this are not found by /search yet. */
  searchLagMs: z.number().int().min(0).max(600_000),
});
export type SandboxSettings = z.infer<typeof settingsSchema>;

const idAlphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
const idLength = 24;

/** A Stripe-looking id (`pi_3P5ktxEzVBJFlm8c13Qzn9bX`), random so that ids never repeat across runs. */
export function newId(prefix: string): string {
  const bytes = randomBytes(idLength);
  return `${prefix}_${[...bytes].map((byte) => idAlphabet[byte % idAlphabet.length]).join('')}`;
}

export function nowSeconds(): number {
  return Math.floor(Date.now() / 1000);
}

export class SandboxState {
  private readonly objects = new Map<string, StoredObject>();
  private readonly timers = new Set<NodeJS.Timeout>();
  settings: SandboxSettings;

  constructor(private readonly initialSettings: SandboxSettings) {
    this.settings = { ...initialSettings };
  }

  put<K extends ObjectType>(stored: StoredObject<K>): StoredObject<K> {
    this.objects.set(stored.id, stored as unknown as StoredObject);
    return stored;
  }

  /**
   * The object of that type, if it exists and, when `secretKey` is given, was created with that key: each
   * secret key is its own Stripe account, so tests sharing a sandbox never see each other's objects.
   */
  get<K extends ObjectType>(type: K, id: string, secretKey?: string): StoredObject<K> | undefined {
    const stored = this.objects.get(id);
    if (stored?.type !== type || (secretKey !== undefined && stored.secretKey !== secretKey)) return undefined;
    return stored as unknown as StoredObject<K>;
  }

  any(id: string): StoredObject | undefined {
    return this.objects.get(id);
  }

  /** Objects of one type, newest first (Stripe's list order). */
  list<K extends ObjectType>(type: K, keep: (stored: StoredObject<K>) => boolean = () => true): StoredObject<K>[] {
    const found: StoredObject<K>[] = [];
    for (const stored of this.objects.values()) {
      if (stored.type === type && keep(stored as unknown as StoredObject<K>)) found.push(stored as unknown as StoredObject<K>);
    }
    return found.reverse();
  }

  all(): StoredObject[] {
    return [...this.objects.values()];
  }

  /** Runs `effect` after `delayMs` unless the sandbox is reset or closed first. */
  later(delayMs: number, effect: () => void): void {
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      effect();
    }, delayMs);
    this.timers.add(timer);
  }

  reset(): void {
    this.objects.clear();
    this.cancelTimers();
    this.settings = { ...this.initialSettings };
  }

  cancelTimers(): void {
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
  }
}
