import 'reflect-metadata';
import { RefreshToken } from '@keel/auth';
import { parseEnv } from '@keel/core';
import { dataSourceOptions } from '@keel/database';
import { User } from '@keel/users';
import { DataSource } from 'typeorm';

/** For the TypeORM CLI (`npm run migration:*`): the same options the app uses. */
export default new DataSource(dataSourceOptions(parseEnv(), [User, RefreshToken]));
