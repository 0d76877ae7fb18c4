// docker-compose.yml cannot run here (no Docker engine), so this checks what can be checked without
// one: it parses, every dependency and host it names is a service in it, host ports do not clash, the
// app's variables are ones our processes read and pass their validation, and its commands exist.
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, test } from 'node:test';
import { parse } from 'yaml';
import { ALL_ENV_FIELDS, parseEnv } from '../config/env';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

interface Service {
  image?: string;
  build?: string;
  command?: string | string[];
  environment?: Record<string, string>;
  ports?: string[];
  depends_on?: Record<string, { condition: string }>;
  healthcheck?: { test: string[] };
}

const compose = parse(readFileSync(path.join(ROOT, 'docker-compose.yml'), 'utf8'), { merge: true }) as {
  services: Record<string, Service>;
};
const services = compose.services;
const appServices = Object.entries(services).filter(([, s]) => s.build !== undefined);

/** The port each service listens on inside the compose network. */
const CONTAINER_PORTS: Record<string, number> = { cockroach: 26257, redis: 6379, temporal: 7233, 'stripe-mock': 12111, api: 3000 };

describe('docker-compose.yml', () => {
  test('has the production-like services', () => {
    for (const name of ['cockroach', 'temporal', 'temporal-db', 'temporal-ui', 'redis', 'stripe-mock', 'api', 'worker']) {
      assert.ok(services[name], `service ${name} is defined`);
    }
    assert.match(services.cockroach!.image!, /^cockroachdb\/cockroach:v\d+/);
  });

  test('every dependency names a defined service', () => {
    for (const [name, service] of Object.entries(services)) {
      for (const dependency of Object.keys(service.depends_on ?? {})) assert.ok(services[dependency], `${name} depends on undefined ${dependency}`);
    }
  });

  test('host ports are unique', () => {
    const hostPorts = Object.values(services).flatMap((s) => (s.ports ?? []).map((p) => p.split(':')[0]));
    assert.equal(new Set(hostPorts).size, hostPorts.length, `duplicate host ports in ${hostPorts.join(', ')}`);
  });

  test('the app services use only known variables, valid values, and hosts that exist', () => {
    const known = new Set(Object.keys(ALL_ENV_FIELDS.shape));
    assert.ok(appServices.length >= 3, 'api, worker and setup are built from the Dockerfile');
    for (const [name, service] of appServices) {
      const env = service.environment ?? {};
      for (const key of Object.keys(env)) assert.ok(known.has(key), `${name} sets ${key}, which no Poolflow process reads`);
      parseEnv(ALL_ENV_FIELDS, env);
      const targets = [
        new URL(env.DATABASE_URL!),
        new URL(env.REDIS_URL!),
        new URL(env.STRIPE_API_URL!),
        new URL(`tcp://${env.TEMPORAL_ADDRESS!}`),
      ];
      for (const target of targets) {
        assert.ok(services[target.hostname], `${name} points at ${target.hostname}, which is not a service`);
        assert.equal(Number(target.port), CONTAINER_PORTS[target.hostname], `${name} uses the port ${target.hostname} listens on`);
      }
    }
  });

  test('the app services run files that exist, and the image is built from a Dockerfile on Node 20', () => {
    for (const [name, service] of appServices) {
      const command = Array.isArray(service.command) ? service.command.join(' ') : (service.command ?? '');
      const files = command.match(/[\w-]+\/[\w-]+\.ts/g) ?? [];
      assert.ok(files.length > 0, `${name} runs a TypeScript entry point`);
      for (const file of files) assert.ok(existsSync(path.join(ROOT, file)), `${name} runs ${file}, which exists`);
    }
    assert.match(readFileSync(path.join(ROOT, 'Dockerfile'), 'utf8'), /^FROM node:20/m);
  });

  test('the API health check asks /readyz on the port it serves', () => {
    const api = services.api!;
    assert.equal(api.environment?.PORT, String(CONTAINER_PORTS.api));
    assert.match(api.healthcheck!.test.join(' '), /127\.0\.0\.1:3000\/readyz/);
  });
});
