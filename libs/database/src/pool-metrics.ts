import type { Metrics } from '@keel/core';
import type { DataSource } from 'typeorm';

interface PoolLike {
  totalCount: number;
  idleCount: number;
  waitingCount: number;
  options: { max?: number };
  on(event: 'acquire', listener: (client: ClientLike) => void): void;
}

type Callback = (error: Error | null, result: unknown) => void;

interface ClientLike {
  query: (...args: unknown[]) => unknown;
  [MEASURED]?: true;
}

const MEASURED = Symbol('keel.measured');

/** The statement's first keyword: SELECT, INSERT, ... (`Metrics` folds the rest into OTHER). */
export function sqlVerb(query: unknown): string {
  const text =
    typeof query === 'string'
      ? query
      : typeof query === 'object' && query !== null && 'text' in query
        ? String(query.text)
        : '';
  const verb = /^\s*([A-Za-z]+)/.exec(text)?.[1].toUpperCase() ?? 'OTHER';
  // TypeORM opens its transactions with START TRANSACTION.
  if (verb === 'START') return 'BEGIN';
  if (verb !== 'WITH') return verb;
  // A data-modifying CTE (the create: item and outbox row) counts as what it modifies.
  return /\b(INSERT|UPDATE|DELETE)\b/i.exec(text)?.[1].toUpperCase() ?? 'SELECT';
}

/**
 * Times every query on the pool TypeORM owns (TypeORM's own and `Sql`'s), and reports the
 * pool's counts. Each connection's `query` is wrapped once, the first time the pool lends it
 * out; queries that stream their rows (a `Submittable`, as the export's cursor) are timed
 * until their `end` or `error` event.
 */
export function measurePool(dataSource: DataSource, metrics: Metrics): void {
  const pool = (dataSource.driver as unknown as { master?: PoolLike }).master;
  if (!pool) return;
  metrics.watchPool(() => ({
    total: pool.totalCount,
    idle: pool.idleCount,
    waiting: pool.waitingCount,
    max: pool.options.max ?? 10,
  }));
  pool.on('acquire', (client) => {
    if (client[MEASURED]) return;
    client[MEASURED] = true;
    const query = client.query;
    client.query = function measuredQuery(this: ClientLike, ...args: unknown[]): unknown {
      const start = performance.now();
      const verb = sqlVerb(args[0]);
      const done = () => metrics.observeDb(verb, (performance.now() - start) / 1000);
      const last = args.length - 1;
      if (typeof args[last] === 'function') {
        const callback = args[last] as Callback;
        args[last] = (error: Error | null, result: unknown) => {
          done();
          callback(error, result);
        };
        return query.apply(this, args);
      }
      const result = query.apply(this, args);
      if (result instanceof Promise) {
        result.then(done, done);
      } else if (isEmitter(args[0])) {
        args[0].once('end', done);
        args[0].once('error', done);
      }
      return result;
    };
  });
}

function isEmitter(value: unknown): value is { once(event: string, listener: () => void): void } {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as { submit?: unknown }).submit === 'function' &&
    typeof (value as { once?: unknown }).once === 'function'
  );
}
