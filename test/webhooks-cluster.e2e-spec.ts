import {
  type ApiProcess,
  createItem,
  createTestDatabase,
  eventually,
  profile,
  type SignedIn,
  signUp,
  type SpawnedProcess,
  startApiProcess,
  startWebhookReceiver,
  startWorkerProcess,
  tempDataDir,
  type WebhookReceiver,
} from '@keel/testing';
import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import request from 'supertest';
import type TestAgent from 'supertest/lib/agent';

/**
 * Webhooks across processes (full profile, the built apps: `npm run build` first). Every
 * process runs the fan-out and sends deliveries, yet each event reaches each endpoint once;
 * a worker killed while it sends leaves a delivery that completes after a restart.
 */
const full = profile.name === 'full' ? describe : describe.skip;

full('Webhooks in a cluster (full profile)', () => {
  const processes: SpawnedProcess[] = [];
  const receivers: WebhookReceiver[] = [];
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  let env: Record<string, string>;

  beforeAll(async () => {
    database = await createTestDatabase(profile.databaseUrl ?? '');
    env = {
      LOG_LEVEL: 'info',
      DATABASE_URL: database.url,
      REDIS_URL: profile.redisUrl ?? '',
      RABBITMQ_URL: process.env.RABBITMQ_URL ?? '',
      REDIS_KEY_PREFIX: `keel-test:${randomBytes(4).toString('hex')}:`,
      DATA_DIR: tempDataDir('keel-webhooks-'),
      JWT_SECRET: randomBytes(32).toString('hex'),
      WEBHOOK_ALLOW_HOSTS: '127.0.0.1',
      WEBHOOK_RETRY_SCHEDULE: '300ms,1s,2s',
      WEBHOOK_TIMEOUT_MS: '2000',
      WEBHOOK_CONNECT_TIMEOUT_MS: '1000',
      WEBHOOK_POLL_MS: '200',
    };
  });
  afterAll(async () => {
    for (const p of processes) p.child.kill('SIGKILL');
    await Promise.all(processes.map((p) => p.exited));
    await Promise.all(receivers.map((r) => r.close()));
    await database?.drop();
    rmSync(env.DATA_DIR, { recursive: true, force: true });
  });

  const api = async (extra: Record<string, string> = {}): Promise<ApiProcess> => {
    const started = await startApiProcess({ ...env, ...extra });
    processes.push(started);
    return started;
  };
  const worker = async (): Promise<SpawnedProcess> => {
    const started = await startWorkerProcess(env);
    processes.push(started);
    return started;
  };
  const subscribe = async (http: TestAgent, who: SignedIn, url: string) =>
    (
      await http
        .post('/v1/webhooks')
        .set(who.auth)
        .send({ url, eventTypes: ['item.created'] })
        .expect(201)
    ).body as { id: string };

  it('two API instances and a worker: each event is delivered once per endpoint', async () => {
    const [a, b] = [await api(), await api()];
    await worker();
    const httpA = request(a.url);
    const httpB = request(b.url);
    const alice = await signUp(httpA);
    const first = await startWebhookReceiver();
    const second = await startWebhookReceiver();
    receivers.push(first, second);
    await subscribe(httpA, alice, first.url);
    await subscribe(httpB, alice, second.url);

    const ids = new Set<string>();
    for (let i = 0; i < 20; i++) {
      const item = await createItem(i % 2 ? httpB : httpA, alice, { name: `Cluster ${i}` });
      ids.add(item.id);
    }
    for (const r of [first, second]) await eventually(() => r.received.length >= 20, 30_000);
    // Time for a duplicate to show up, had any process fanned out or sent twice.
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    for (const r of [first, second]) {
      expect(r.received).toHaveLength(20);
      expect(new Set(r.received.map((x) => x.headers['webhook-id'])).size).toBe(20);
      expect(new Set(r.received.map((x) => x.event.aggregateId))).toEqual(ids);
    }
    for (const p of processes.splice(0)) {
      p.child.kill('SIGTERM');
      await p.exited;
    }
  }, 120_000);

  it('a worker killed mid-delivery: the delivery completes after the restart', async () => {
    // The API only records and queues; the worker alone sends.
    const a = await api({ RUN_WORKERS: 'false' });
    const http = request(a.url);
    const alice = await signUp(http);
    const r = await startWebhookReceiver();
    receivers.push(r);
    r.answer = (_req, i) => (i === 0 ? 'hang' : 200);
    const hook = await subscribe(http, alice, r.url);
    const w = await worker();
    await createItem(http, alice, { name: 'Killed' });

    await eventually(() => r.received.length === 1, 30_000);
    w.child.kill('SIGKILL');
    await w.exited;
    const listed = await http.get(`/v1/webhooks/${hook.id}/deliveries`).set(alice.auth).expect(200);
    expect(listed.body.data[0]).toMatchObject({ state: 'sending', attempts: [] });

    // Its claim lapses (timeout + margin); the new worker's reconciler queues it again.
    await worker();
    await eventually(async () => {
      const res = await http.get(`/v1/webhooks/${hook.id}/deliveries`).set(alice.auth).expect(200);
      return res.body.data[0].state === 'delivered';
    }, 40_000);
    expect(r.received).toHaveLength(2);
    expect(r.received[1].headers['webhook-id']).toBe(r.received[0].headers['webhook-id']);
    const res = await http.get(`/v1/webhooks/${hook.id}/deliveries`).set(alice.auth).expect(200);
    expect(res.body.data[0].attempts).toMatchObject([{ number: 2, outcome: 'success' }]);
  }, 120_000);
});
