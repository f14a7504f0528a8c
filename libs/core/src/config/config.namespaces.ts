import { registerAs } from '@nestjs/config';
import { parseEnv } from './env';

/** Typed configuration namespaces; inject with `@Inject(appConfig.KEY) cfg: ConfigType<typeof appConfig>`. */
export const appConfig = registerAs('app', () => parseEnv().app);
export const databaseConfig = registerAs('database', () => parseEnv().database);
export const redisConfig = registerAs('redis', () => parseEnv().redis);
export const rabbitmqConfig = registerAs('rabbitmq', () => parseEnv().rabbitmq);
export const eventsConfig = registerAs('events', () => parseEnv().events);
export const cacheConfig = registerAs('cache', () => parseEnv().cache);
export const jobsConfig = registerAs('jobs', () => parseEnv().jobs);
export const authConfig = registerAs('auth', () => parseEnv().auth);
export const mailConfig = registerAs('mail', () => parseEnv().mail);
export const webhooksConfig = registerAs('webhooks', () => parseEnv().webhooks);

export const allConfigNamespaces = [
  appConfig,
  databaseConfig,
  redisConfig,
  rabbitmqConfig,
  eventsConfig,
  cacheConfig,
  jobsConfig,
  authConfig,
  mailConfig,
  webhooksConfig,
];
