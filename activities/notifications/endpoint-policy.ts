// Which webhook URLs Poolflow will call: https only in production, and — when so configured — never an
// address on a private, loopback or link-local network, checked when the endpoint is registered and
// again on every delivery (a name may come to resolve elsewhere later).
import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';

export interface EndpointPolicy {
  httpsOnly: boolean;
  blockPrivateAddresses: boolean;
}

/** Thrown when a URL may not be used as a webhook endpoint; the message says why. */
export class EndpointRefusedError extends Error {}

export const URL_LENGTH_MAX = 2_048;

const PRIVATE_V4: Array<[number, number]> = [
  [0x0a000000, 8], // 10/8
  [0xac100000, 12], // 172.16/12
  [0xc0a80000, 16], // 192.168/16
  [0x7f000000, 8], // loopback
  [0xa9fe0000, 16], // link-local, cloud metadata
  [0x64400000, 10], // carrier-grade NAT
  [0x00000000, 8], // "this network"
];

export function isPrivateAddress(address: string): boolean {
  if (isIP(address) === 4) {
    const value = address.split('.').reduce((sum, octet) => sum * 256 + Number(octet), 0);
    return PRIVATE_V4.some(([base, bits]) => value >>> (32 - bits) === base >>> (32 - bits));
  }
  const lower = address.toLowerCase();
  if (lower.startsWith('::ffff:')) return isPrivateAddress(lower.slice(7));
  return lower === '::1' || lower === '::' || lower.startsWith('fc') || lower.startsWith('fd') || lower.startsWith('fe80');
}

/** Checks a URL against the policy; resolves its host when private addresses are refused. */
export async function checkEndpointUrl(raw: string, policy: EndpointPolicy): Promise<URL> {
  if (raw.length > URL_LENGTH_MAX) throw new EndpointRefusedError(`the URL is longer than ${URL_LENGTH_MAX} characters`);
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new EndpointRefusedError('not a valid absolute URL');
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new EndpointRefusedError('only http and https URLs can receive webhooks');
  if (policy.httpsOnly && url.protocol !== 'https:') throw new EndpointRefusedError('webhook endpoints must use https in production');
  if (url.username || url.password) throw new EndpointRefusedError('credentials in the URL are not allowed; authenticate with the signature');
  if (policy.blockPrivateAddresses) {
    const host = url.hostname.replace(/^\[|\]$/g, '');
    const addresses = isIP(host)
      ? [host]
      : await lookup(host, { all: true }).then(
          (found) => found.map((a) => a.address),
          () => {
            throw new EndpointRefusedError(`the host ${host} does not resolve`);
          },
        );
    const blocked = addresses.find(isPrivateAddress);
    if (blocked) throw new EndpointRefusedError(`the host resolves to a private address (${blocked}), which is refused here`);
  }
  return url;
}
