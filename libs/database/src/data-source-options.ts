import type { KeelEnv } from '@keel/core';
import { join } from 'node:path';
import type { DataSourceOptions, MixedList } from 'typeorm';
import { migrations } from './migrations';
import { pgliteDriver } from './pglite-pool';

type EntityList = MixedList<string | (new () => unknown)>;

/**
 * One set of options for both profiles: Postgres when DATABASE_URL is set,
 * otherwise the embedded PGlite database in DATA_DIR. Schema changes come only
 * from migrations; `synchronize` is never on.
 */
export function dataSourceOptions(
  env: Pick<KeelEnv, 'app' | 'database'>,
  entities: EntityList,
): DataSourceOptions {
  const common = {
    type: 'postgres' as const,
    entities,
    migrations,
    migrationsTableName: 'migrations',
    migrationsTransactionMode: 'each' as const,
    synchronize: false,
    migrationsRun: false,
  };
  const { database } = env;
  if (database.url) {
    return {
      ...common,
      url: database.url,
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
  return {
    ...common,
    driver: pgliteDriver({ dataDir: join(env.app.dataDir, 'pglite') }),
  };
}
