// `npm run token -- --sub alice --role manager [--ttl 3600]`: prints a bearer token for the local API,
// signed with JWT_SECRET (or the local development secret) and the configured issuer and audience.
import { parseArgs } from 'node:util';
import { mintToken, ROLES, type Role } from '../api/auth';
import { authEnv, loadEnv } from '../config/env';

const { values } = parseArgs({ options: { sub: { type: 'string' }, role: { type: 'string' }, ttl: { type: 'string', default: '3600' } } });
const role = values.role as Role | undefined;
if (!values.sub || !role || !ROLES.includes(role)) {
  console.error(`usage: npm run token -- --sub <subject> --role <${ROLES.join('|')}> [--ttl <seconds>]`);
  process.exit(64);
}
const env = loadEnv(authEnv);
if (!env.JWT_SECRET) {
  console.error('JWT_JWKS_URL is set: tokens come from your identity provider, not from this script.');
  process.exit(64);
}
console.log(
  await mintToken({ sub: values.sub, role, secret: env.JWT_SECRET, issuer: env.JWT_ISSUER, audience: env.JWT_AUDIENCE, lifetimeSeconds: Number(values.ttl) }),
);
