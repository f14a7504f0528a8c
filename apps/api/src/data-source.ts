import 'reflect-metadata';
import { parseEnv } from '@keel/core';
import { dataSourceOptions, EmbeddedPostgres } from '@keel/database';
import { DataSource } from 'typeorm';
import { entities } from './entities';

/**
 * For the TypeORM CLI (`npm run migration:*`): the same options the app uses. Without
 * DATABASE_URL it starts the embedded server in DATA_DIR (refused while Keel runs on it),
 * which stops when the command exits.
 */
async function dataSource(): Promise<DataSource> {
  const env = parseEnv();
  const url = env.database.url ?? (await new EmbeddedPostgres(env.app.dataDir).start());
  return new DataSource(dataSourceOptions(env.database, url, entities));
}

export default dataSource();
