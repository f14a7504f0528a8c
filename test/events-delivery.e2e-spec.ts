import {
  ADMIN,
  createItem,
  createTestDatabase,
  eventually,
  openEventStream,
  profile,
  proxyFor,
  type SignedIn,
  signUp,
  startApiProcess,
  startTestApp,
  tempDataDir,
  type TestApp,
} from '@keel/testing';
import { connect, type ChannelModel } from 'amqplib';
import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { Client } from 'pg';

// Needs what replicas share: Postgres and RabbitMQ (full profile).
const rabbitUrl = process.env.RABBITMQ_URL;
const withBroker = profile.databaseUrl && rabbitUrl ? describe : describe.skip;

/** A consumer of the test's own on the real broker: collects the ids of item events. */
async function observe(): Promise<{ model: ChannelModel; seen: Set<string> }> {
  const model = await connect(rabbitUrl ?? '');
  const channel = await model.createChannel();
  await channel.assertExchange('keel.events', 'topic', { durable: true });
  const { queue } = await channel.assertQueue('', { exclusive: true, autoDelete: true });
  await channel.bindQueue(queue, 'keel.events', 'item.*');
  const seen = new Set<string>();
  await channel.consume(queue, (message) => {
    if (!message) return;
    seen.add((JSON.parse(message.content.toString('utf8')) as { aggregateId: string }).aggregateId);
    channel.ack(message);
  });
  return { model, seen };
}

withBroker('event delivery across processes', () => {
  it('delivers an event committed just before the process was killed, after a restart', async () => {
    const database = await createTestDatabase(profile.databaseUrl ?? '');
    const dataDir = tempDataDir('keel-crash-');
    const { proxy, url: viaProxy } = await proxyFor(rabbitUrl ?? '', 5672);
    const observer = await observe();
    const env = {
      DATABASE_URL: database.url,
      DATA_DIR: dataDir,
      JWT_SECRET: randomBytes(32).toString('hex'),
      ADMIN_EMAIL: ADMIN.email,
      ADMIN_PASSWORD: ADMIN.password,
    };
    const db = new Client({ connectionString: database.url });
    await db.connect();
    try {
      // The broker is unreachable from the first process: its events stay in the outbox.
      await proxy.cut();
      const first = await startApiProcess({ ...env, RABBITMQ_URL: viaProxy });
      const login = await fetch(`${first.url}/v1/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(ADMIN),
      });
      const { accessToken } = (await login.json()) as { accessToken: string };
      const created = await fetch(`${first.url}/v1/items`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${accessToken}` },
        body: JSON.stringify({ name: 'survives a crash', price: '1.00' }),
      });
      expect(created.status).toBe(201);
      const { id } = (await created.json()) as { id: string };
      const pending = await db.query('SELECT published_at FROM outbox WHERE aggregate_id = $1', [
        id,
      ]);
      expect(pending.rows).toEqual([{ published_at: null }]);

      first.child.kill('SIGKILL');
      await first.exited;
      expect(observer.seen.has(id)).toBe(false);

      const second = await startApiProcess({ ...env, RABBITMQ_URL: rabbitUrl ?? '' });
      try {
        await eventually(() => observer.seen.has(id), 20_000);
        // The relay stamps the row once the broker confirmed it, in its own commit.
        await eventually(async () => {
          const { rows } = await db.query<{ published_at: Date | null }>(
            'SELECT published_at FROM outbox WHERE aggregate_id = $1',
            [id],
          );
          return rows[0]?.published_at instanceof Date;
        });
      } finally {
        second.child.kill('SIGTERM');
        await second.exited;
      }
    } finally {
      await db.end();
      await observer.model.close();
      await proxy.cut();
      await database.drop();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  describe('two instances sharing Postgres, Redis and RabbitMQ', () => {
    let a: TestApp;
    let b: TestApp;
    let user: SignedIn;
    let bUrl: string;

    beforeAll(async () => {
      a = await startTestApp();
      b = await startTestApp({
        DATABASE_URL: a.env.DATABASE_URL ?? '',
        REDIS_KEY_PREFIX: a.env.REDIS_KEY_PREFIX ?? '',
        JWT_SECRET: a.env.JWT_SECRET ?? '',
        // Long local entries: only invalidation can make b's next read fresh.
        CACHE_LOCAL_TTL_MS: '600000',
      });
      bUrl = await b.listen();
      user = await signUp(a.http);
    });
    afterAll(async () => {
      await b.close();
      await a.close();
    });

    it('shows a write on one instance on the other as soon as its invalidation arrives, and streams it to its clients', async () => {
      const stream = await openEventStream(`${bUrl}/v1/events/stream`, user.auth);
      try {
        const item = await createItem(a.http, user, { name: 'v1' });
        await b.http.get(`/v1/items/${item.id}`).expect(200);
        await b.http.get(`/v1/items/${item.id}`).expect(200);
        await a.http.patch(`/v1/items/${item.id}`).set(user.auth).send({ name: 'v2' }).expect(200);
        // The invalidation is published before a answers; b applies it when the message arrives
        // (its local entries live 10 minutes here, so nothing else can make the read fresh).
        await eventually(
          async () => (await b.http.get(`/v1/items/${item.id}`).expect(200)).body.name === 'v2',
          1_000,
        );
        const event = await stream.next(
          (e) => e.data.aggregateId === item.id && e.event === 'item.updated',
        );
        expect(event.data.data).toMatchObject({ item: { name: 'v2', version: 2 } });
      } finally {
        stream.close();
      }
    });
  });
});
