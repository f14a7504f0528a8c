import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTestDatabase, profile, spawnApi, startApiProcess } from '@keel/testing';

/** The built app as a real process: start-up checks, logs, graceful shutdown, restarts. */
// Each test starts the server once or twice; a first embedded start initialises a database.
jest.setTimeout(200_000);

describe('the API process', () => {
  let dataDir: string;
  let database: Awaited<ReturnType<typeof createTestDatabase>> | undefined;
  let env: Record<string, string>;

  beforeAll(async () => {
    database = profile.databaseUrl ? await createTestDatabase(profile.databaseUrl) : undefined;
  });
  afterAll(async () => {
    await database?.drop();
  });
  beforeEach(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'keel-proc-'));
    env = {
      DATA_DIR: dataDir,
      LOG_LEVEL: 'info',
      ...(database ? { DATABASE_URL: database.url } : {}),
      ...(profile.redisUrl
        ? {
            REDIS_URL: profile.redisUrl,
            REDIS_KEY_PREFIX: `keel-test:${randomBytes(4).toString('hex')}:`,
          }
        : {}),
    };
  });
  afterEach(() => rmSync(dataDir, { recursive: true, force: true }));

  it('refuses to start on bad configuration, naming each offending variable', async () => {
    const run = spawnApi({ ...env, NODE_ENV: 'production', PORT: 'eighty', LOG_LEVEL: 'loud' });
    expect(await run.exited).toBe(1);
    const message = run.stderr();
    expect(message).toContain('Invalid configuration');
    expect(message).toContain('PORT: must be an integer');
    expect(message).toContain('LOG_LEVEL: must be one of');
    expect(message).toContain('JWT_SECRET: is required when NODE_ENV=production');
  });

  it('logs JSON lines carrying the request id, and drains in-flight requests on SIGTERM, exiting 0', async () => {
    const api = await startApiProcess({ ...env, SHUTDOWN_DELAY_MS: '700' });
    const user = { email: 'drain@keel.test', password: 'drain-password', displayName: 'Drain' };
    await fetch(`${api.url}/v1/auth/register`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-request-id': 'find-me-in-the-log' },
      body: JSON.stringify(user),
    });
    await fetch(`${api.url}/v1/users/me`, { headers: { 'x-request-id': 'refused-by-the-guard' } });
    // Logins hash with argon2, so several take a while: they are in flight when SIGTERM lands.
    const inFlight = Array.from({ length: 6 }, () =>
      fetch(`${api.url}/v1/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ email: user.email, password: user.password }),
      }).then((r) => r.status),
    );
    await new Promise((r) => setTimeout(r, 20));
    api.child.kill('SIGTERM');
    await new Promise((r) => setTimeout(r, 200));
    const ready = await fetch(`${api.url}/health/ready`);
    expect(ready.status).toBe(503);
    expect(ready.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(await Promise.all(inFlight)).toEqual([200, 200, 200, 200, 200, 200]);
    expect(await api.exited).toBe(0);

    const line = api.logs.find(
      (l) => l.reqId === 'find-me-in-the-log' && l.route === '/v1/auth/register',
    );
    expect(line).toMatchObject({
      level: 'info',
      method: 'POST',
      status: 201,
      msg: 'request completed',
    });
    expect(typeof line?.durationMs).toBe('number');
    // Requests refused before any handler runs are logged too.
    expect(api.logs.find((l) => l.reqId === 'refused-by-the-guard')).toMatchObject({
      route: '/v1/users/me',
      status: 401,
    });
    expect(JSON.stringify(api.logs)).not.toContain(user.password);
  });

  it('keeps its data and generated secret across a restart', async () => {
    const first = await startApiProcess(env);
    const user = {
      email: 'persist@keel.test',
      password: 'persist-password',
      displayName: 'Persist',
    };
    const headers = { 'content-type': 'application/json' };
    expect(
      (
        await fetch(`${first.url}/v1/auth/register`, {
          method: 'POST',
          headers,
          body: JSON.stringify(user),
        })
      ).status,
    ).toBe(201);
    const login = await fetch(`${first.url}/v1/auth/login`, {
      method: 'POST',
      headers,
      body: JSON.stringify({ email: user.email, password: user.password }),
    });
    expect(login.status).toBe(200);
    const { accessToken } = (await login.json()) as { accessToken: string };
    expect(
      first.logs.some((l) => l.level === 'warn' && String(l.msg).includes('JWT_SECRET is not set')),
    ).toBe(true);
    first.child.kill('SIGTERM');
    expect(await first.exited).toBe(0);
    expect(existsSync(join(dataDir, 'jwt-secret'))).toBe(true);

    const second = await startApiProcess(env);
    try {
      // Same secret: the access token from before the restart still works.
      const me = await fetch(`${second.url}/v1/users/me`, {
        headers: { authorization: `Bearer ${accessToken}` },
      });
      expect(me.status).toBe(200);
      expect(((await me.json()) as { email: string }).email).toBe(user.email);
    } finally {
      second.child.kill('SIGTERM');
      expect(await second.exited).toBe(0);
    }
  });

  // Several workers need a shared database: the full profile.
  (profile.databaseUrl ? it : it.skip)(
    'runs WEB_CONCURRENCY workers that share the port and stop together on SIGTERM',
    async () => {
      const api = await startApiProcess({ ...env, WEB_CONCURRENCY: '2' });
      const listening = () =>
        new Set(
          api.logs.filter((l) => String(l.msg).startsWith('Keel API listening')).map((l) => l.pid),
        );
      for (let i = 0; i < 100 && listening().size < 2; i++)
        await new Promise((r) => setTimeout(r, 100));
      expect(listening().size).toBe(2);
      for (let i = 0; i < 20; i++) {
        const res = await fetch(`${api.url}/health/live`, { headers: { connection: 'close' } });
        expect(res.status).toBe(200);
      }
      await new Promise((r) => setTimeout(r, 200));
      const served = new Set(api.logs.filter((l) => l.route === '/health/live').map((l) => l.pid));
      expect(served.size).toBe(2);
      api.child.kill('SIGTERM');
      expect(await api.exited).toBe(0);
      expect(api.logs.filter((l) => l.msg === 'stopped')).toHaveLength(2);
    },
  );
});
