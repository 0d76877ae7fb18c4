// The plumbing probe's activity: writes one row to the database and one key to Redis, proving that a
// worker is wired to both; operators use it as a smoke check of a deployment (POST /v1/probes).
import type { Redis } from '../../cache/redis';
import type { Queryable } from '../../db/pool';
import { probeKey } from '../../cache/keys';

export interface ProbeInput {
  probeId: string;
  message: string;
}

export interface ProbeRecord {
  probeId: string;
  message: string;
  createdAt: string;
}

export const PROBE_CACHE_TTL_SECONDS = 3_600;

export function createProbeActivities(deps: { db: Queryable; redis: Redis }) {
  return {
    async recordProbe(input: ProbeInput): Promise<ProbeRecord> {
      // ON CONFLICT keeps a retried activity from failing on its own earlier write.
      await deps.db.query('INSERT INTO plumbing_probes (probe_id, message) VALUES ($1, $2) ON CONFLICT (probe_id) DO NOTHING', [input.probeId, input.message]);
      const { rows } = await deps.db.query<{ message: string; created_at: Date }>('SELECT message, created_at FROM plumbing_probes WHERE probe_id = $1', [
        input.probeId,
      ]);
      const row = rows[0]!;
      const record = { probeId: input.probeId, message: row.message, createdAt: row.created_at.toISOString() };
      await deps.redis.set(probeKey(input.probeId), JSON.stringify(record), 'EX', PROBE_CACHE_TTL_SECONDS);
      return record;
    },
  };
}
