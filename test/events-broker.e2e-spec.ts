import {
  createItem,
  eventually,
  openEventStream,
  profile,
  signInAdmin,
  signUp,
  startTestApp,
  proxyFor,
  type TcpProxy,
  type SignedIn,
  type TestApp,
} from '@keel/testing';
import { connect, type Channel, type ChannelModel } from 'amqplib';

// RabbitMQ is the full profile's broker; the embedded profile has no broker to lose.
const rabbitUrl = process.env.RABBITMQ_URL;
const withRabbit = profile.databaseUrl && rabbitUrl ? describe : describe.skip;

interface Delivered {
  id: string;
  type: string;
  aggregateId: string;
  data: { item?: { version: number } };
}

withRabbit('events through RabbitMQ', () => {
  let proxy: TcpProxy;
  let t: TestApp;
  let user: SignedIn;
  let admin: SignedIn;
  let base: string;
  let observer: ChannelModel;
  let channel: Channel;
  const observed: Delivered[] = [];

  beforeAll(async () => {
    let viaProxy: string;
    ({ proxy, url: viaProxy } = await proxyFor(rabbitUrl ?? '', 5672));
    t = await startTestApp({ RABBITMQ_URL: viaProxy });
    base = await t.listen();
    user = await signUp(t.http);
    admin = await signInAdmin(t.http);

    // A consumer of the test's own, straight on the broker: what every subscriber gets.
    observer = await connect(rabbitUrl ?? '');
    channel = await observer.createChannel();
    await channel.assertExchange('keel.events', 'topic', { durable: true });
    const { queue } = await channel.assertQueue('', { exclusive: true, autoDelete: true });
    await channel.bindQueue(queue, 'keel.events', 'item.*');
    await channel.consume(queue, (message) => {
      if (!message) return;
      observed.push(JSON.parse(message.content.toString('utf8')) as Delivered);
      channel.ack(message);
    });
    await eventually(async () => (await ready()).broker.degraded === undefined);
  });
  afterAll(async () => {
    await observer.close();
    await proxy.start();
    await t.close();
    await proxy.cut();
  });

  async function ready(): Promise<{ broker: { mode: string; degraded?: boolean } }> {
    const res = await t.http.get('/health/ready').expect(200);
    return res.body.info as { broker: { mode: string; degraded?: boolean } };
  }

  it('keeps accepting writes while the broker is unreachable and delivers them all, in order, once', async () => {
    const stream = await openEventStream(`${base}/v1/events/stream`, user.auth);
    try {
      const item = await createItem(t.http, user, { name: 'v1' });
      await eventually(() => observed.some((e) => e.aggregateId === item.id));

      await proxy.cut();
      for (let version = 2; version <= 6; version++) {
        await t.http
          .patch(`/v1/items/${item.id}`)
          .set(user.auth)
          .send({ name: `v${version}` })
          .expect(200);
      }
      await eventually(async () => (await ready()).broker.degraded === true);
      const pending = await t.http
        .get('/v1/events')
        .query({ aggregateId: item.id, type: 'item.updated' })
        .set(admin.auth)
        .expect(200);
      expect(pending.body.data.map((e: { publishedAt: unknown }) => e.publishedAt)).toEqual(
        Array(5).fill(null),
      );

      await proxy.start();
      await eventually(() => observed.filter((e) => e.aggregateId === item.id).length >= 6, 20_000);
      // At least once: a publish cut off before its confirm is sent again. Consumers are
      // idempotent by event id, as this one is here.
      const updates = [
        ...new Map(
          observed
            .filter((e) => e.aggregateId === item.id && e.type === 'item.updated')
            .map((e) => [e.id, e]),
        ).values(),
      ];
      expect(updates.map((e) => e.data.item?.version)).toEqual([2, 3, 4, 5, 6]);
      await eventually(async () => (await ready()).broker.degraded === undefined);

      // This instance's own consumer fed the stream, also in order and once each.
      await stream.next(
        (e) =>
          e.data.aggregateId === item.id && (e.data.data.item as { version: number }).version === 6,
        20_000,
      );
      const streamed = stream.events.filter((e) => e.data.aggregateId === item.id);
      expect(streamed.map((e) => (e.data.data.item as { version: number }).version)).toEqual([
        1, 2, 3, 4, 5, 6,
      ]);
    } finally {
      stream.close();
    }
  });

  it('gives a redelivered event no second effect', async () => {
    const stream = await openEventStream(`${base}/v1/events/stream`, user.auth);
    try {
      const item = await createItem(t.http, user, { name: 'once' });
      const first = await stream.next((e) => e.data.aggregateId === item.id);
      // The broker delivers the same message again (as after a lost ack).
      channel.publish('keel.events', first.data.type, Buffer.from(JSON.stringify(first.data)));
      const marker = await createItem(t.http, user, { name: 'marker' });
      await stream.next((e) => e.data.aggregateId === marker.id);
      await new Promise((r) => setTimeout(r, 200));
      expect(stream.events.filter((e) => e.data.id === first.data.id)).toHaveLength(1);
    } finally {
      stream.close();
    }
  });

  it('publishes a batch at once rather than waiting for each confirm before the next publish', async () => {
    // The broker takes messages but its confirms are held back (the proxy passes nothing back).
    proxy.freeze();
    try {
      const first = await createItem(t.http, user, { name: 'unconfirmed' });
      await eventually(() => observed.some((e) => e.aggregateId === first.id));
      const later: Array<{ id: string }> = [];
      for (let i = 0; i < 3; i++)
        later.push(await createItem(t.http, user, { name: `later ${i}` }));
      // The first publish times out unconfirmed; the retry's batch holds all four rows, and
      // each of them reaches the broker although no confirm has come back for any.
      await eventually(
        () => later.every((item) => observed.some((e) => e.aggregateId === item.id)),
        15_000,
      );
    } finally {
      proxy.thaw();
    }
    await eventually(async () => (await ready()).broker.degraded === undefined, 20_000);
  });
});
