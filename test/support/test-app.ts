import { AppModule } from '../../apps/api/src/app.module';
import { createHttpApp } from '@keel/core';
import { EmbeddedDatabase } from '@keel/database';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import request from 'supertest';
import type TestAgent from 'supertest/lib/agent';
import { createTestDatabase } from './test-database';

export const ADMIN = { email: 'admin@keel.test', password: 'admin-password-1' };

export interface TestApp {
  app: NestFastifyApplication;
  http: TestAgent;
  /** The environment the app was started with. */
  env: Record<string, string>;
  /** The app's database: DATABASE_URL, or its embedded server's. */
  databaseUrl: string;
  close: () => Promise<void>;
  /** Also listens on a free local port (for clients supertest cannot be, like SSE); returns its URL. */
  listen: () => Promise<string>;
}

/** What the process had before any test app changed it; each app starts from this. */
const baseEnv = { ...process.env };

/** The profile under test: full when the CI/developer environment sets DATABASE_URL or REDIS_URL. */
export const profile = {
  databaseUrl: baseEnv.DATABASE_URL,
  redisUrl: baseEnv.REDIS_URL,
  get name(): 'full' | 'embedded' {
    return this.databaseUrl ? 'full' : 'embedded';
  },
};

/**
 * A temporary DATA_DIR. mkdtemp makes it 700; as root the embedded server runs as the
 * user `postgres`, which must enter it.
 */
export function tempDataDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  chmodSync(dir, 0o755);
  return dir;
}

/** The profile's Redis for a process a test spawns, under a key prefix of its own; none when embedded. */
export function profileRedisEnv(): Record<string, string> {
  return profile.redisUrl
    ? {
        REDIS_URL: profile.redisUrl,
        REDIS_KEY_PREFIX: `keel-test:${randomBytes(4).toString('hex')}:`,
      }
    : {};
}

/**
 * Boots the real application (same `createHttpApp` as main.ts) on its own data:
 * a temporary DATA_DIR (with its embedded Postgres server) or a fresh database on the
 * server in DATABASE_URL, and its own Redis key prefix.
 */
export async function startTestApp(overrides: Record<string, string> = {}): Promise<TestApp> {
  const dataDir = tempDataDir('keel-test-');
  const database = profile.databaseUrl ? await createTestDatabase(profile.databaseUrl) : undefined;
  const env: Record<string, string> = {
    NODE_ENV: 'test',
    LOG_LEVEL: 'silent',
    DATA_DIR: dataDir,
    JWT_SECRET: randomBytes(32).toString('hex'),
    ADMIN_EMAIL: ADMIN.email,
    ADMIN_PASSWORD: ADMIN.password,
    AUTH_RATE_LIMIT_PER_IP: '100000',
    AUTH_RATE_LIMIT_PER_ACCOUNT: '100000',
    REDIS_KEY_PREFIX: `keel-test:${randomBytes(4).toString('hex')}:`,
    // Off unless a test asks: apps started side by side would share the default port.
    METRICS_PORT: '0',
    ...(database ? { DATABASE_URL: database.url } : {}),
    ...(profile.redisUrl ? { REDIS_URL: profile.redisUrl } : {}),
    ...overrides,
  };
  process.env = { ...baseEnv, ...env };
  if (!database) delete process.env.DATABASE_URL;
  if (!profile.redisUrl && !overrides.REDIS_URL) delete process.env.REDIS_URL;

  const app = await createHttpApp(AppModule);
  await app.init();
  await app.getHttpAdapter().getInstance().ready();
  return {
    app,
    http: request(app.getHttpServer()),
    env,
    databaseUrl: await app.get(EmbeddedDatabase).url(),
    listen: async () => {
      await app.listen(0, '127.0.0.1');
      return (await app.getUrl()).replace('[::1]', '127.0.0.1');
    },
    close: async () => {
      await app.close();
      await database?.drop();
      rmSync(dataDir, { recursive: true, force: true });
      process.env = { ...baseEnv };
    },
  };
}
