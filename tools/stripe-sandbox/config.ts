// The sandbox process's environment, parsed once at start-up; a bad value stops it with a message that
// names the variable. Defaults match the dev stack (scripts/stack.sh): sandbox on 12113, stripe-mock on 12111.
import { z } from 'zod';
import { stripeEnv } from '../../config/env';

const httpUrl = z.url({ protocol: /^https?$/, error: 'must be a URL starting with http:// or https://' });

export const sandboxEnv = z.object({
  SANDBOX_PORT: z.coerce.number().int().min(0).max(65535).default(12113),
  SANDBOX_HOST: z.string().min(1).default('127.0.0.1'),
  /** stripe-mock, which validates every request before the sandbox acts on it. */
  STRIPE_MOCK_URL: httpUrl.default('http://127.0.0.1:12111'),
  STRIPE_WEBHOOK_SECRET: stripeEnv.shape.STRIPE_WEBHOOK_SECRET,
  /** Comma-separated endpoints that receive every event; more can be added through the control API. */
  SANDBOX_WEBHOOK_URLS: z
    .string()
    .default('')
    .transform((value) =>
      value
        .split(',')
        .map((entry) => entry.trim())
        .filter(Boolean),
    )
    .pipe(z.array(httpUrl)),
  SANDBOX_SETTLEMENT_DELAY_MS: z.coerce.number().int().min(0).max(3_600_000).default(2_000),
});
