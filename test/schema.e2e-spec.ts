import { parseEnv } from '@keel/core';
import { dataSourceOptions, EmbeddedPostgres, runMigrations } from '@keel/database';
import { rmSync } from 'node:fs';
import { DataSource } from 'typeorm';
import { createTestDatabase, profile, tempDataDir } from '@keel/testing';
import { entities } from '../apps/api/src/entities';

/**
 * The migrations and the entities describe the same schema: after migrating, TypeORM
 * finds nothing to change, so `npm run migration:generate` only ever writes real changes.
 */
describe('schema', () => {
  it('matches the entities after the migrations run, and the migrations revert cleanly', async () => {
    const dataDir = tempDataDir('keel-schema-');
    const database = profile.databaseUrl
      ? await createTestDatabase(profile.databaseUrl)
      : undefined;
    const env = parseEnv({
      DATA_DIR: dataDir,
      JWT_SECRET: 'x'.repeat(16) + 'abcdefghijklmnop',
      ...(database ? { DATABASE_URL: database.url } : {}),
    });
    const server = database ? undefined : new EmbeddedPostgres(dataDir);
    const url = database?.url ?? (await server!.start());
    const dataSource = await new DataSource(
      dataSourceOptions(env.database, url, entities),
    ).initialize();
    try {
      const applied = await runMigrations(dataSource);
      expect(applied.length).toBeGreaterThan(0);
      const diff = await dataSource.driver.createSchemaBuilder().log();
      expect(diff.upQueries.map((q) => q.query)).toEqual([]);

      for (let i = 0; i < applied.length; i++)
        await dataSource.undoLastMigration({ transaction: 'each' });
      const tables = await dataSource.query<Array<{ table_name: string }>>(
        `SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' AND table_name <> 'migrations'`,
      );
      expect(tables).toEqual([]);
    } finally {
      await dataSource.destroy();
      await server?.stop();
      await database?.drop();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
