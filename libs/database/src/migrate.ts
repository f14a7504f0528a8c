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
  return underMigrationLock(dataSource, async () => {
    const applied = await dataSource.runMigrations({ transaction: 'each' });
    if (applied.length > 0) {
      const names = applied.map((m) => m.name);
      logger.log(
        { migrations: names },
        `applied ${names.length} migration${names.length === 1 ? '' : 's'}: ${names.join(', ')}`,
      );
    }
    return applied;
  });
}

/** Reverts the newest applied migration (in its own transaction), under the same lock; its name, or undefined when none is applied. */
export async function revertLastMigration(dataSource: DataSource): Promise<string | undefined> {
  return underMigrationLock(dataSource, async () => {
    const [last] = (await appliedMigrations(dataSource)).slice(-1);
    if (last === undefined) return undefined;
    await dataSource.undoLastMigration({ transaction: 'each' });
    return last;
  });
}

export interface MigrationStatus {
  name: string;
  applied: boolean;
}

/** Every migration Keel knows, oldest first, and whether this database has it. */
export async function migrationStatus(dataSource: DataSource): Promise<MigrationStatus[]> {
  const applied = new Set(await appliedMigrations(dataSource));
  return dataSource.migrations.map((m) => {
    const name = m.name ?? m.constructor.name;
    return { name, applied: applied.has(name) };
  });
}

/** Names recorded in the migrations table, oldest first (none before the first run). */
async function appliedMigrations(dataSource: DataSource): Promise<string[]> {
  const [{ exists }] = await dataSource.query<Array<{ exists: boolean }>>(
    `SELECT to_regclass('migrations') IS NOT NULL AS exists`,
  );
  if (!exists) return [];
  const rows = await dataSource.query<Array<{ name: string }>>(
    'SELECT name FROM migrations ORDER BY timestamp, id',
  );
  return rows.map((r) => r.name);
}

/** On Postgres a session advisory lock makes replicas (and `keel migrate`) take turns. */
async function underMigrationLock<T>(dataSource: DataSource, work: () => Promise<T>): Promise<T> {
  const lock = dataSource.createQueryRunner();
  await lock.connect();
  try {
    await lock.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
    return await work();
  } finally {
    await lock.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY]).catch(() => undefined);
    await lock.release();
  }
}
