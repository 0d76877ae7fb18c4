// The Stripe SDK's HTTP client with the shared rate limiter in front: every request waits for its slot,
// and a 429 answer pauses the whole account (all workers) for its Retry-After before the request is
// sent again. A 429 means Stripe did nothing, so re-sending it (with its idempotency key) is safe.
import Stripe from 'stripe';
import type { StripeRateLimiter } from './stripe-rate-limit';

/** How many 429s in a row one request absorbs before the SDK sees the last one as a StripeRateLimitError. */
export const RATE_LIMITED_RESENDS_MAX = 3;
/** Without a Retry-After header: 500 ms, 1 s, 2 s, … with jitter. */
const BACKOFF_BASE_MS = 500;
/** A Retry-After beyond this is capped: the activity's own retry policy takes over after that. */
export const RETRY_AFTER_MAX_MS = 10_000;

type HttpClientInterface = NonNullable<ConstructorParameters<typeof Stripe>[1]>['httpClient'] & object;
type MakeRequest = HttpClientInterface['makeRequest'];

/** Retry-After as seconds or an HTTP date, in milliseconds from now; undefined when absent or unreadable. */
export function retryAfterMs(value: string | string[] | undefined, nowMs: number = Date.now()): number | undefined {
  const text = Array.isArray(value) ? value[0] : value;
  if (text === undefined || text.trim() === '') return undefined;
  if (/^\d+(\.\d+)?$/.test(text.trim())) return Number(text) * 1_000;
  const at = Date.parse(text);
  return Number.isNaN(at) ? undefined : Math.max(0, at - nowMs);
}

export function rateLimitedHttpClient(limiter: StripeRateLimiter, inner: HttpClientInterface = Stripe.createNodeHttpClient()): HttpClientInterface {
  const makeRequest: MakeRequest = async (host, port, path, method, headers, requestData, protocol, timeout) => {
    for (let resend = 0; ; resend++) {
      await limiter.acquire(method, path);
      const response = await inner.makeRequest(host, port, path, method, headers, requestData, protocol, timeout);
      if (response.getStatusCode() !== 429 || resend >= RATE_LIMITED_RESENDS_MAX) return response;
      const header = response.getHeaders()['retry-after'];
      const waitMs = retryAfterMs(header as string | string[] | undefined) ?? BACKOFF_BASE_MS * 2 ** resend * (0.5 + Math.random() / 2);
      // The body of a discarded answer is read so that its connection returns to the agent's pool.
      await Promise.resolve(response.toJSON()).catch(() => undefined);
      await limiter.pause(Math.min(waitMs, RETRY_AFTER_MAX_MS));
    }
  };
  return { getClientName: () => inner.getClientName(), makeRequest };
}
