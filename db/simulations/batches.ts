// Queries on the simulation tables: batches (found by their hash), who asked for them, finished chunks.
import type { Db, Queryable } from '../pool';
import { transaction } from '../transaction';

export type BatchStatus = 'running' | 'completed' | 'failed' | 'cancelled';

export interface BatchRow {
  batchId: string;
  model: string;
  params: unknown;
  seed: number;
  pathCount: number;
  chunkCount: number;
  status: BatchStatus;
  poolId: string | null;
  result: Record<string, unknown> | null;
  createdAt: Date;
  completedAt: Date | null;
}

interface RawBatch {
  batch_id: string;
  model: string;
  params: unknown;
  seed: bigint;
  path_count: bigint;
  chunk_count: bigint;
  status: BatchStatus;
  pool_id: string | null;
  result: Record<string, unknown> | null;
  created_at: Date;
  completed_at: Date | null;
}

const toBatch = (r: RawBatch): BatchRow => ({
  batchId: r.batch_id,
  model: r.model,
  params: r.params,
  seed: Number(r.seed),
  pathCount: Number(r.path_count),
  chunkCount: Number(r.chunk_count),
  status: r.status,
  poolId: r.pool_id,
  result: r.result,
  createdAt: r.created_at,
  completedAt: r.completed_at,
});

export async function findBatch(db: Queryable, batchId: string): Promise<BatchRow | null> {
  const { rows } = await db.query<RawBatch>('SELECT * FROM simulation_batches WHERE batch_id = $1', [batchId]);
  return rows[0] ? toBatch(rows[0]) : null;
}

export interface NewBatch extends Pick<BatchRow, 'batchId' | 'model' | 'params' | 'seed' | 'pathCount' | 'chunkCount' | 'poolId'> {
  /** Who asks for it. */
  subject: string;
}

/**
 * Records a batch unless one with the same hash exists, and who asked. Returns whether it is new, or was
 * restarted after failing or being cancelled (then the workflow must be started).
 */
export async function recordBatch(db: Db, batch: NewBatch): Promise<{ start: boolean; row: BatchRow }> {
  return transaction(db, async (client) => {
    const inserted = await client.query<RawBatch>(
      `INSERT INTO simulation_batches (batch_id, model, params, seed, path_count, chunk_count, status, pool_id)
       VALUES ($1, $2, $3, $4, $5, $6, 'running', $7) ON CONFLICT (batch_id) DO NOTHING RETURNING *`,
      [batch.batchId, batch.model, JSON.stringify(batch.params), batch.seed, batch.pathCount, batch.chunkCount, batch.poolId],
    );
    let start = inserted.rows.length === 1;
    let row = inserted.rows[0];
    if (!row) {
      // A failed or cancelled batch is run again; its finished chunks are kept and reused.
      const restarted = await client.query<RawBatch>(
        `UPDATE simulation_batches SET status = 'running', completed_at = NULL WHERE batch_id = $1 AND status IN ('failed', 'cancelled') RETURNING *`,
        [batch.batchId],
      );
      start = restarted.rows.length === 1;
      row = restarted.rows[0] ?? (await client.query<RawBatch>('SELECT * FROM simulation_batches WHERE batch_id = $1', [batch.batchId])).rows[0]!;
    }
    await client.query('INSERT INTO simulation_requests (batch_id, subject) VALUES ($1, $2) ON CONFLICT DO NOTHING', [batch.batchId, batch.subject]);
    return { start, row: toBatch(row) };
  });
}

export async function hasRequested(db: Queryable, batchId: string, subject: string): Promise<boolean> {
  const { rows } = await db.query('SELECT 1 FROM simulation_requests WHERE batch_id = $1 AND subject = $2', [batchId, subject]);
  return rows.length > 0;
}

export async function finishBatch(
  db: Queryable,
  batchId: string,
  status: Exclude<BatchStatus, 'running'>,
  result: Record<string, unknown> | null,
): Promise<void> {
  await db.query(`UPDATE simulation_batches SET status = $2, result = COALESCE($3, result), completed_at = now() WHERE batch_id = $1`, [
    batchId,
    status,
    result === null ? null : JSON.stringify(result),
  ]);
}

export interface ChunkRow {
  chunkIndex: number;
  firstBlock: number;
  blockCount: number;
  paths: number;
  summary: unknown;
  worker: string;
  resumedBlocks: number;
}

export async function findChunk(db: Queryable, batchId: string, chunkIndex: number): Promise<{ worker: string; paths: number } | null> {
  const { rows } = await db.query<{ worker: string; paths: bigint }>('SELECT worker, paths FROM simulation_chunks WHERE batch_id = $1 AND chunk_index = $2', [
    batchId,
    chunkIndex,
  ]);
  return rows[0] ? { worker: rows[0].worker, paths: Number(rows[0].paths) } : null;
}

/** Stores a finished chunk once; a second writer of the same chunk (a retry racing its predecessor) changes nothing. */
export async function storeChunk(db: Queryable, batchId: string, chunk: ChunkRow): Promise<void> {
  await db.query(
    `INSERT INTO simulation_chunks (batch_id, chunk_index, first_block, block_count, paths, summary, worker, resumed_blocks)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (batch_id, chunk_index) DO NOTHING`,
    [batchId, chunk.chunkIndex, chunk.firstBlock, chunk.blockCount, chunk.paths, JSON.stringify(chunk.summary), chunk.worker, chunk.resumedBlocks],
  );
}

export async function listChunks(db: Queryable, batchId: string): Promise<ChunkRow[]> {
  const { rows } = await db.query<{
    chunk_index: bigint;
    first_block: bigint;
    block_count: bigint;
    paths: bigint;
    summary: unknown;
    worker: string;
    resumed_blocks: bigint;
  }>('SELECT chunk_index, first_block, block_count, paths, summary, worker, resumed_blocks FROM simulation_chunks WHERE batch_id = $1 ORDER BY chunk_index', [
    batchId,
  ]);
  return rows.map((r) => ({
    chunkIndex: Number(r.chunk_index),
    firstBlock: Number(r.first_block),
    blockCount: Number(r.block_count),
    paths: Number(r.paths),
    summary: r.summary,
    worker: r.worker,
    resumedBlocks: Number(r.resumed_blocks),
  }));
}
