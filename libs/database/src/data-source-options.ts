import type { KeelEnv } from '@keel/core';
import type { DataSourceOptions, MixedList } from 'typeorm';
import { migrations } from './migrations';

type EntityList = MixedList<string | (new () => unknown)>;

/**
 * One set of options for both profiles: `url` is DATABASE_URL, or the embedded server's
 * (see EmbeddedPostgres), reached through the same bounded pg pool. Schema changes come
 * only from migrations; `synchronize` is never on.
 */
export function dataSourceOptions(
  database: KeelEnv['database'],
  url: string,
  entities: EntityList,
): DataSourceOptions {
  return {
    type: 'postgres',
    entities,
    migrations,
    migrationsTableName: 'migrations',
    migrationsTransactionMode: 'each',
    synchronize: false,
    migrationsRun: false,
    url,
    applicationName: 'keel',
    poolSize: database.poolSize,
    connectTimeoutMS: database.connectTimeoutMs,
    extra: {
      // Bounded pool: a request waits at most this long for a connection, then gets a 503.
      connectionTimeoutMillis: database.connectTimeoutMs,
      idleTimeoutMillis: 30_000,
      statement_timeout: database.statementTimeoutMs,
      idle_in_transaction_session_timeout: database.statementTimeoutMs * 2,
      // statement_timeout runs on the server and cannot fire while packets are dropped:
      // this bound runs in the client. See closeStuckConnections for what happens next.
      query_timeout: database.queryTimeoutMs,
      // Lets the kernel notice a dead peer on an idle connection.
      keepAlive: true,
      keepAliveInitialDelayMillis: 10_000,
    },
  };
}
