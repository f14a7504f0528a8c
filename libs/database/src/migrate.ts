import { Logger } from '@nestjs/common';
import type { DataSource, Migration } from 'typeorm';

// Any fixed number; every Keel replica agrees on it.
const MIGRATION_LOCK_KEY = 7_391_245_001;

/**
 * Runs pending migrations, each in its own transaction. On Postgres a session
 * advisory lock makes replicas that start together take turns, so each runs once.
 */
export async function runMigrations(dataSource: DataSource): Promise<Migration[]> {
  const logger = new Logger('Migrations');
  const apply = async () => {
    const applied = await dataSource.runMigrations({ transaction: 'each' });
    for (const m of applied) logger.log(`applied ${m.name}`);
    return applied;
  };
  const lock = dataSource.createQueryRunner();
  await lock.connect();
  try {
    await lock.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
    return await apply();
  } finally {
    await lock.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY]).catch(() => undefined);
    await lock.release();
  }
}
