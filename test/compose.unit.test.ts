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
  volumes?: string[];
}

/** What `docker compose` would substitute for `${NAME:?…}` and `${NAME:-…}`: the secrets an operator sets. */
const OPERATOR_ENV: Record<string, string> = {
  PAYLOAD_ENCRYPTION_KEYS: `k2026:${Buffer.alloc(32, 7).toString('base64')}`,
  CODEC_SERVER_TOKEN: 'c'.repeat(64),
  GRAFANA_ADMIN_PASSWORD: 'not-the-default-password',
};
const composeText = readFileSync(path.join(ROOT, 'docker-compose.yml'), 'utf8');
const interpolated = composeText.replace(/\$\{(\w+)(?::[?-][^}]*)?\}/g, (_match, name: string) => {
  assert.ok(OPERATOR_ENV[name], `docker-compose.yml reads \${${name}}, which this test does not know`);
  return OPERATOR_ENV[name];
});
const compose = parse(interpolated, { merge: true }) as {
  services: Record<string, Service>;
};
const services = compose.services;
const appServices = Object.entries(services).filter(([, s]) => s.build !== undefined);

/** The port each service listens on inside the compose network. */
const CONTAINER_PORTS: Record<string, number> = { cockroach: 26257, redis: 6379, temporal: 7233, 'stripe-mock': 12111, api: 3000, jaeger: 4318 };
/** host, host port and container port of a `ports` entry (`8080`, `80:8080` or `127.0.0.1:80:8080`). */
const published = (entry: string) => {
  const parts = entry.split(':');
  return { host: parts.length === 3 ? parts[0]! : '0.0.0.0', hostPort: parts.at(-2) ?? parts[0]!, containerPort: parts.at(-1)! };
};

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
    const hostPorts = Object.values(services).flatMap((s) => (s.ports ?? []).map((p) => published(p).hostPort));
    assert.equal(new Set(hostPorts).size, hostPorts.length, `duplicate host ports in ${hostPorts.join(', ')}`);
  });

  test('the app services use only known variables, valid values, and hosts that exist', () => {
    const known = new Set(Object.keys(ALL_ENV_FIELDS.shape));
    assert.ok(appServices.length >= 3, 'api, worker and setup are built from the Dockerfile');
    for (const [name, service] of appServices) {
      const env = service.environment ?? {};
      for (const key of Object.keys(env)) assert.ok(known.has(key), `${name} sets ${key}, which no Poolflow process reads`);
      parseEnv(ALL_ENV_FIELDS, env);
      const urls = [
        env.DATABASE_URL,
        env.REDIS_URL,
        env.STRIPE_API_URL,
        env.OTEL_EXPORTER_OTLP_ENDPOINT,
        env.TEMPORAL_ADDRESS && `tcp://${env.TEMPORAL_ADDRESS}`,
      ];
      const targets = urls.filter((u): u is string => u !== undefined).map((u) => new URL(u));
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

  test('operations tools are published on the loopback only; the Web UI is read-only and decodes through the codec server', () => {
    for (const name of ['temporal', 'temporal-ui', 'codec-server', 'prometheus', 'grafana', 'jaeger']) {
      assert.ok(services[name], `service ${name} is defined`);
      for (const entry of services[name]!.ports ?? []) assert.equal(published(entry).host, '127.0.0.1', `${name} publishes ${entry} on the loopback only`);
    }
    const ui = services['temporal-ui']!;
    assert.equal(ui.environment?.TEMPORAL_DISABLE_WRITE_ACTIONS, 'true');
    const codec = services['codec-server']!;
    const codecPort = published(codec.ports![0]!).hostPort;
    assert.equal(ui.environment?.TEMPORAL_CODEC_ENDPOINT, `http://localhost:${codecPort}/ops/${OPERATOR_ENV.CODEC_SERVER_TOKEN}`);
    assert.equal(
      codec.environment?.CODEC_SERVER_ALLOWED_ORIGINS,
      `http://localhost:${published(ui.ports![0]!).hostPort}`,
      'the codec server answers the UI as the browser sees it',
    );
    assert.equal(codec.environment?.CODEC_SERVER_TOKEN, OPERATOR_ENV.CODEC_SERVER_TOKEN);
    assert.equal(codec.environment?.POOLFLOW_MODE, 'production', 'no development key in compose');
    assert.ok(!composeText.includes('PAYLOAD_ENCRYPTION_KEYS: k'), 'no payload key is written into the file');
  });

  test("Prometheus scrapes the API's and the worker's metric ports and loads the alert rules; Grafana has its dashboard", () => {
    const config = parse(readFileSync(path.join(ROOT, 'ops/prometheus/prometheus.yml'), 'utf8')) as {
      rule_files: string[];
      scrape_configs: Array<{ job_name: string; static_configs: Array<{ targets: string[] }> }>;
    };
    const targets = Object.fromEntries(config.scrape_configs.map((c) => [c.job_name, c.static_configs[0]!.targets[0]]));
    const defaults = parseEnv(ALL_ENV_FIELDS, services.worker!.environment ?? {});
    assert.deepEqual(targets, {
      'poolflow-api': `api:${defaults.API_METRICS_PORT}`,
      'poolflow-worker': `worker:${defaults.WORKER_METRICS_PORT}`,
      'poolflow-worker-sdk': `worker:${defaults.TEMPORAL_METRICS_PORT}`,
    });
    assert.deepEqual(config.rule_files, ['/etc/prometheus/alerts.yml']);
    assert.ok(services.prometheus!.volumes?.includes('./ops/prometheus:/etc/prometheus:ro'));
    assert.ok(existsSync(path.join(ROOT, 'ops/prometheus/alerts.yml')));
    const dashboard = JSON.parse(readFileSync(path.join(ROOT, 'ops/grafana/dashboards/poolflow.json'), 'utf8')) as {
      panels: Array<{ targets: Array<{ expr: string }> }>;
    };
    const exprs = dashboard.panels.flatMap((panel) => panel.targets.map((t) => t.expr)).join('\n');
    for (const metric of [
      'poolflow_contributions_total',
      'poolflow_payout_escalations_total',
      'poolflow_http_requests_total',
      'temporal_worker_task_slots_available',
      // The pools' idempotent steps run as local activities, whose failures the SDK counts apart.
      'temporal_activity_execution_failed_total',
      'temporal_local_activity_execution_failed_total',
    ])
      assert.ok(exprs.includes(metric), `the dashboard shows ${metric}`);
  });

  test('the API health check asks /readyz on the port it serves', () => {
    const api = services.api!;
    assert.equal(api.environment?.PORT, String(CONTAINER_PORTS.api));
    assert.match(api.healthcheck!.test.join(' '), /127\.0\.0\.1:3000\/readyz/);
  });
});
