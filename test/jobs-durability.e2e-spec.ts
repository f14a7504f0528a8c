import {
  type ApiProcess,
  createTestDatabase,
  eventually,
  getJob,
  itemsCsv,
  jobWhen,
  profile,
  proxyFor,
  type SignedIn,
  signUp,
  type SpawnedProcess,
  startApiProcess,
  startImport,
  startTestApp,
  startTestRedis,
  startWorkerProcess,
  tempDataDir,
} from '@keel/testing';
import { Redis } from 'ioredis';
import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import request from 'supertest';
import type TestAgent from 'supertest/lib/agent';

/**
 * An import survives the process that runs it: killed (SIGKILL) or stopped (SIGTERM)
 * mid-import, the job is resumed from its checkpoint and every row is stored exactly once.
 * Embedded profile: the API runs the job and is restarted. Full profile: separate worker
 * processes on BullMQ; the API runs none (RUN_WORKERS=false).
 */
const ROWS = 100_000;
const common = { LOG_LEVEL: 'info', IMPORT_BATCH_ROWS: '200', JOBS_LOCK_MS: '2000' };

/** Every exported item named `Row <n>`: each n from 1 to ROWS exactly once. */
async function expectEachRowOnce(http: TestAgent, who: SignedIn): Promise<void> {
  const res = await http
    .get('/v1/items/export')
    .query({ format: 'ndjson', q: 'Row ' })
    .set(who.auth)
    .expect(200);
  const names = res.text
    .trim()
    .split('\n')
    .map((line) => (JSON.parse(line) as { name: string }).name);
  expect(names).toHaveLength(ROWS);
  expect(new Set(names).size).toBe(ROWS);
}

const embedded = profile.name === 'embedded' ? describe : describe.skip;
const full = profile.name === 'full' ? describe : describe.skip;

embedded('Import durability (embedded: the API process runs the job)', () => {
  let dataDir: string;
  let api: ApiProcess | undefined;

  beforeAll(() => {
    dataDir = tempDataDir('keel-jobs-');
  });
  afterAll(() => {
    api?.child.kill('SIGKILL');
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('resumes after SIGTERM and after SIGKILL, storing each row once', async () => {
    const env = { ...common, DATA_DIR: dataDir };
    api = await startApiProcess(env);
    let http = request(api.url);
    const alice = await signUp(http);
    const { id } = await startImport(http, alice, itemsCsv(ROWS));

    // SIGTERM mid-import: the job stops after its batch and is queued again.
    const before = await jobWhen(http, alice, id, (j) => j.processed > 0);
    expect(before.state).toBe('running');
    api.child.kill('SIGTERM');
    expect(await api.exited).toBe(0);
    expect(api.logs.some((l) => l.msg === 'job handed back at shutdown')).toBe(true);

    api = await startApiProcess(env);
    http = request(api.url);
    // SIGKILL mid-import: nothing runs any more; the restart resumes from the checkpoint.
    const resumed = await jobWhen(
      http,
      alice,
      id,
      (j) => j.attempts >= 2 && j.processed > before.processed,
    );
    expect(resumed.processed).toBeLessThan(ROWS);
    api.child.kill('SIGKILL');
    await api.exited;

    api = await startApiProcess(env);
    http = request(api.url);
    const done = await jobWhen(http, alice, id, (j) => j.state === 'succeeded');
    expect(done).toMatchObject({ processed: ROWS, succeeded: ROWS, failed: 0, progress: 100 });
    expect(done.attempts).toBeGreaterThanOrEqual(3);
    await expectEachRowOnce(http, alice);
    // Three starts of the API and its database server, 100,000 rows and their export.
  }, 180_000);
});

full('Import durability (full: worker processes on BullMQ)', () => {
  const workers: SpawnedProcess[] = [];
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  let env: Record<string, string>;

  beforeAll(async () => {
    database = await createTestDatabase(profile.databaseUrl ?? '');
    env = {
      ...common,
      DATABASE_URL: database.url,
      REDIS_URL: profile.redisUrl ?? '',
      REDIS_KEY_PREFIX: `keel-test:${randomBytes(4).toString('hex')}:`,
      DATA_DIR: tempDataDir('keel-jobs-'),
    };
  });
  afterAll(async () => {
    for (const w of workers) w.child.kill('SIGKILL');
    await Promise.all(workers.map((w) => w.exited));
    await database.drop();
    rmSync(env.DATA_DIR, { recursive: true, force: true });
  });

  const worker = async () => {
    const started = await startWorkerProcess(env);
    workers.push(started);
    return started;
  };

  it('a killed worker’s job moves to another; a stopped one hands its job back; each row once', async () => {
    // The API only stores the upload and queues the job.
    const api = await startTestApp({ ...env, RUN_WORKERS: 'false', LOG_LEVEL: 'silent' });
    try {
      const alice = await signUp(api.http);
      const { id } = await startImport(api.http, alice, itemsCsv(ROWS));
      expect((await getJob(api.http, alice, id)).state).toBe('queued');

      const a = await worker();
      const first = await jobWhen(api.http, alice, id, (j) => j.processed > 0);
      a.child.kill('SIGKILL');
      await a.exited;

      // Its BullMQ lock expires (JOBS_LOCK_MS) and the stalled job goes to the next worker.
      const b = await worker();
      const second = await jobWhen(
        api.http,
        alice,
        id,
        (j) => j.attempts >= 2 && j.processed > first.processed,
      );
      expect(second.processed).toBeLessThan(ROWS);
      b.child.kill('SIGTERM');
      expect(await b.exited).toBe(0);
      expect(b.logs.some((l) => l.msg === 'job handed back at shutdown')).toBe(true);

      await worker();
      const done = await jobWhen(api.http, alice, id, (j) => j.state === 'succeeded');
      expect(done).toMatchObject({ processed: ROWS, succeeded: ROWS, failed: 0, progress: 100 });
      expect(done.attempts).toBeGreaterThanOrEqual(3);
      await expectEachRowOnce(api.http, alice);
    } finally {
      await api.close();
    }
  });

  it('accepts an upload at once while Redis is cut off; a worker started later runs the job', async () => {
    const { proxy, url: redisViaProxy } = await proxyFor(profile.redisUrl ?? '', 6379);
    const api = await startTestApp({
      ...env,
      REDIS_URL: redisViaProxy,
      RUN_WORKERS: 'false',
      LOG_LEVEL: 'silent',
    });
    try {
      const alice = await signUp(api.http);
      await proxy.cut();
      const started = Date.now();
      const { id } = await startImport(api.http, alice, itemsCsv(10, 'Offline'));
      // No offline queue: the producer fails at once and the job waits in the table.
      expect(Date.now() - started).toBeLessThan(1_000);
      expect((await getJob(api.http, alice, id)).state).toBe('queued');
      await api.http.get('/health/live').expect(200);

      // A worker's reconciler queues what BullMQ never received.
      await worker();
      const done = await jobWhen(api.http, alice, id, (j) => j.state === 'succeeded');
      expect(done.succeeded).toBe(10);
    } finally {
      await api.close();
      await proxy.cut();
    }
  });

  it('warns at start when Redis may evict queued jobs (maxmemory-policy other than noeviction)', async () => {
    const redis = await startTestRedis();
    try {
      const admin = new Redis(redis.url);
      await admin.config('SET', 'maxmemory-policy', 'allkeys-lru');
      admin.disconnect();
      const w = await startWorkerProcess({ ...env, REDIS_URL: redis.url });
      await eventually(() =>
        w.logs.some((l) => l.maxmemoryPolicy === 'allkeys-lru' && l.level === 'warn'),
      );
      w.child.kill('SIGTERM');
      expect(await w.exited).toBe(0);
    } finally {
      await redis.stop();
    }
  });
});
