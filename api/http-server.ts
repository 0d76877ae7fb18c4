// The API's HTTP server: Node's own request timeout answers a client that is too slow sending its
// headers or body with 408 and closes the connection, so a trickle of bytes cannot hold a socket.
import { serve, type ServerType } from '@hono/node-server';
import type { Hono } from 'hono';
import type { AppEnv } from './context';

/** How often Node looks for requests past their timeout: the timeout's granularity. */
const TIMEOUT_CHECK_MAX_MS = 1_000;

export interface ServeOptions {
  port: number;
  hostname: string;
  /** A request not fully received by then (headers and body) is answered 408 (api/limits.ts). */
  requestTimeoutMs: number;
}

export function serveApi(app: Hono<AppEnv>, options: ServeOptions, onListening?: (port: number) => void): ServerType {
  return serve(
    {
      fetch: app.fetch,
      port: options.port,
      hostname: options.hostname,
      serverOptions: {
        requestTimeout: options.requestTimeoutMs,
        headersTimeout: options.requestTimeoutMs,
        connectionsCheckingInterval: Math.min(TIMEOUT_CHECK_MAX_MS, Math.max(50, Math.floor(options.requestTimeoutMs / 4))),
      },
    },
    (info) => onListening?.(info.port),
  );
}
