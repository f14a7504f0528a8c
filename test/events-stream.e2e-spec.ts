import { OutboxRelay } from '@keel/events';
import {
  createItem,
  eventually,
  openEventStream,
  proxyFor,
  signUp,
  startTestApp,
  type SignedIn,
  type TestApp,
} from '@keel/testing';
import { randomUUID } from 'node:crypto';
import { Client } from 'pg';
import { DataSource } from 'typeorm';

const ORIGIN = 'https://app.example';
/** Small, so that a catch-up written without waiting for the client would trip the guard. */
const MAX_BUFFER = 16_384;

describe('event stream', () => {
  let t: TestApp;
  let base: string;
  let user: SignedIn;

  beforeAll(async () => {
    t = await startTestApp({
      CORS_ORIGINS: ORIGIN,
      EVENTS_STREAM_MAX_BUFFER_BYTES: String(MAX_BUFFER),
      // Heartbeats fall in the middle of a catch-up too.
      EVENTS_STREAM_HEARTBEAT_MS: '100',
    });
    base = await t.listen();
    user = await signUp(t.http);
  });
  afterAll(async () => {
    await t.close();
  });

  /** The stream position of a fresh item event: where a client that saw it would resume. */
  async function currentPosition(): Promise<string> {
    const stream = await openEventStream(`${base}/v1/events/stream`, user.auth);
    try {
      const item = await createItem(t.http, user, { name: 'marker' });
      return (await stream.next((e) => e.data.aggregateId === item.id)).id;
    } finally {
      stream.close();
    }
  }

  it('catches up a client thousands of events behind: all of them, in order, without dropping it', async () => {
    const from = await currentPosition();
    const aggregateId = `burst-${randomUUID()}`;
    const count = 3_000;
    // One transaction, as a bulk change would write them; each frame is about 600 bytes.
    await t.app.get(DataSource).query(
      `INSERT INTO outbox (id, type, aggregate_type, aggregate_id, data)
       SELECT gen_random_uuid(), 'item.updated', 'item', $1, jsonb_build_object('n', g, 'padding', repeat('x', 200))
       FROM generate_series(1, $2::int) AS g`,
      [aggregateId, count],
    );
    t.app.get(OutboxRelay).wake();
    const resumed = await openEventStream(`${base}/v1/events/stream`, {
      ...user.auth,
      'Last-Event-ID': from,
    });
    try {
      await resumed.next(
        (e) => e.data.aggregateId === aggregateId && e.data.data.n === count,
        120_000,
      );
      const burst = resumed.events.filter((e) => e.data.aggregateId === aggregateId);
      expect(burst.map((e) => e.data.data.n)).toEqual(
        Array.from({ length: count }, (_, i) => i + 1),
      );
      const positions = resumed.events.map((e) => BigInt(e.id));
      expect(positions.every((p, i) => i === 0 || p > positions[i - 1])).toBe(true);
      expect(resumed.closed()).toBe(false);
    } finally {
      resumed.close();
    }
  }, 130_000);

  it('gives a client that resumes after an event the ones committed later with a lower seq', async () => {
    const insert = `INSERT INTO outbox (id, type, aggregate_type, aggregate_id, data)
        VALUES (gen_random_uuid(), 'item.updated', 'item', $1, '{}') RETURNING seq`;
    const a = new Client({ connectionString: t.databaseUrl });
    const b = new Client({ connectionString: t.databaseUrl });
    await a.connect();
    await b.connect();
    const relay = t.app.get(OutboxRelay);
    const live = await openEventStream(`${base}/v1/events/stream`, user.auth);
    try {
      const [idA, idB] = [`early-${randomUUID()}`, `late-${randomUUID()}`];
      await a.query('BEGIN');
      const seqA = BigInt((await a.query<{ seq: string }>(insert, [idA])).rows[0].seq);
      await b.query('BEGIN');
      const seqB = BigInt((await b.query<{ seq: string }>(insert, [idB])).rows[0].seq);
      expect(seqA < seqB).toBe(true);
      await b.query('COMMIT');
      relay.wake();
      const seenB = await live.next((e) => e.data.aggregateId === idB);
      live.close();

      await a.query('COMMIT');
      relay.wake();
      // Published before the client comes back: only the catch-up can give it.
      await eventually(async () => {
        const { rows } = await a.query<{ published_at: Date | null }>(
          'SELECT published_at FROM outbox WHERE aggregate_id = $1',
          [idA],
        );
        return rows[0]?.published_at instanceof Date;
      });
      const resumed = await openEventStream(`${base}/v1/events/stream`, {
        ...user.auth,
        'Last-Event-ID': seenB.id,
      });
      try {
        const seenA = await resumed.next((e) => e.data.aggregateId === idA);
        expect(BigInt(seenA.id) > BigInt(seenB.id)).toBe(true);
      } finally {
        resumed.close();
      }
    } finally {
      live.close();
      await a.end();
      await b.end();
    }
  });

  it('answers a cross-origin EventSource with CORS, request id and security headers', async () => {
    const res = await t.http.post('/v1/auth/tickets').set(user.auth).expect(201);
    const ticket = (res.body as { ticket: string }).ticket;
    const stream = await openEventStream(`${base}/v1/events/stream?ticket=${ticket}`, {
      Origin: ORIGIN,
      'X-Request-Id': 'stream-request-0001',
    });
    try {
      expect(stream.status).toBe(200);
      expect(stream.headers).toMatchObject({
        'content-type': 'text/event-stream; charset=utf-8',
        'access-control-allow-origin': ORIGIN,
        'x-request-id': 'stream-request-0001',
        'x-content-type-options': 'nosniff',
      });
      expect(stream.headers['content-security-policy']).toBeDefined();
    } finally {
      stream.close();
    }
  });
});

// A relay that kept its transaction open while the broker confirmed would hold a connection
// and the outbox rows it claimed for the publish timeout. It needs a broker to wait on.
const rabbitUrl = process.env.RABBITMQ_URL;
(rabbitUrl ? describe : describe.skip)('outbox relay and an unresponsive broker', () => {
  it('keeps serving writes while the relay waits for a confirm', async () => {
    const { proxy, url } = await proxyFor(rabbitUrl ?? '', 5672);
    // DATABASE_URL empty: the embedded database, whatever the profile.
    const t = await startTestApp({ DATABASE_URL: '', RABBITMQ_URL: url });
    try {
      const user = await signUp(t.http);
      await eventually(async () => {
        const res = await t.http.get('/health/ready').expect(200);
        return (res.body.info as { broker: { degraded?: boolean } }).broker.degraded === undefined;
      });
      proxy.freeze();
      // Its event is claimed at once, and its publish waits for a confirm that does not come.
      const first = await createItem(t.http, user, { name: 'waits for the broker' });
      await new Promise((r) => setTimeout(r, 500));
      const started = Date.now();
      await createItem(t.http, user, { name: 'written meanwhile' });
      // Holding the session until the publish times out (5 s) would take seconds.
      expect(Date.now() - started).toBeLessThan(2_500);
      proxy.thaw();
      // And the event still goes out once the broker answers.
      await eventually(async () => {
        const rows = await t.app
          .get(DataSource)
          .query<Array<{ published_at: Date | null }>>(
            'SELECT published_at FROM outbox WHERE aggregate_id = $1',
            [first.id],
          );
        return rows[0]?.published_at instanceof Date;
      }, 30_000);
    } finally {
      proxy.thaw();
      await t.close();
      await proxy.cut();
    }
  }, 60_000);
});
