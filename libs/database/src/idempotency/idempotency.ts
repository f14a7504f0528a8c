import { DomainError } from '@keel/core';
import { createHash } from 'node:crypto';
import type { EntityManager } from 'typeorm';
import { IdempotencyKey } from './idempotency-key.entity';

/** How long a key is remembered. */
export const IDEMPOTENCY_WINDOW = '24 hours';

export class IdempotencyKeyReusedError extends DomainError {
  constructor() {
    super(
      'unprocessable',
      'IDEMPOTENCY.KEY_REUSED',
      'This Idempotency-Key was already used with a different request.',
    );
  }
}

export type IdempotencyClaim<T> =
  { replay: false } | { replay: true; statusCode: number; response: T };

/** A stable digest of a request body: the same fields and values give the same hash. */
export function hashRequest(request: Record<string, unknown>): string {
  const sorted = Object.keys(request)
    .sort()
    .map((k) => [k, request[k]]);
  return createHash('sha256').update(JSON.stringify(sorted)).digest('hex');
}

/**
 * Claims `key` inside the caller's transaction. The first request inserts the row and does
 * the work; a concurrent request with the same key waits on that row's lock until the first
 * commits, then replays its stored response (or does the work itself if the first rolled back).
 */
export async function claimIdempotencyKey<T>(
  tx: EntityManager,
  scope: string,
  key: string,
  requestHash: string,
): Promise<IdempotencyClaim<T>> {
  await tx.query(
    `DELETE FROM idempotency_keys
      WHERE scope = $1 AND key = $2 AND created_at < now() - interval '${IDEMPOTENCY_WINDOW}'`,
    [scope, key],
  );
  const inserted: unknown[] = await tx.query(
    `INSERT INTO idempotency_keys (scope, key, request_hash) VALUES ($1, $2, $3)
     ON CONFLICT (scope, key) DO NOTHING RETURNING key`,
    [scope, key, requestHash],
  );
  if (inserted.length > 0) return { replay: false };
  const existing = await tx.findOneByOrFail(IdempotencyKey, { scope, key });
  if (existing.requestHash !== requestHash) throw new IdempotencyKeyReusedError();
  return { replay: true, statusCode: existing.statusCode ?? 200, response: existing.response as T };
}

/** Stores the response of a claimed key, in the same transaction as the work. */
export async function completeIdempotencyKey(
  tx: EntityManager,
  scope: string,
  key: string,
  statusCode: number,
  response: unknown,
): Promise<void> {
  await tx.update(IdempotencyKey, { scope, key }, { statusCode, response: response as object });
}

/** Forgets keys older than the window; run periodically by IdempotencyModule. */
export async function deleteExpiredIdempotencyKeys(manager: EntityManager): Promise<void> {
  await manager.query(
    `DELETE FROM idempotency_keys WHERE created_at < now() - interval '${IDEMPOTENCY_WINDOW}'`,
  );
}
