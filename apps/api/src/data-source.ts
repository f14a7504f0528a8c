import 'reflect-metadata';
import { parseEnv } from '@keel/core';
import { dataSourceOptions } from '@keel/database';
import { DataSource } from 'typeorm';
import { entities } from './entities';

/** For the TypeORM CLI (`npm run migration:*`): the same options the app uses. */
export default new DataSource(dataSourceOptions(parseEnv(), entities));
