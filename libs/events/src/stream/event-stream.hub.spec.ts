import { Writable } from 'node:stream';
import { Metrics } from '@keel/core';
import type { DataSource } from 'typeorm';
import type { IntegrationEvent } from '../domain-event';
import { EventDispatcher } from '../event-dispatcher';
import { EventStreamHub } from './event-stream.hub';

const admin = { id: 'a', email: 'a@keel.test', roles: ['user' as const, 'admin' as const] };

const event = (n: number): IntegrationEvent => ({
  id: `e${n}`,
  seq: String(n),
  position: String(n),
  type: 'item.updated',
  aggregateType: 'item',
  aggregateId: 'i',
  actorId: null,
  requestId: null,
  occurredAt: new Date(0).toISOString(),
  publishedAt: null,
  data: { padding: 'x'.repeat(200) },
});

/** A client connection: `stuck` never takes what is written (a reader that stopped reading). */
function client(stuck: boolean): Writable {
  return new Writable({
    write(_chunk, _encoding, done) {
      if (!stuck) done();
    },
  });
}

/** The outbox as the catch-up reads it: `rows` in one page, then nothing. */
function outboxOf(rows: object[]): DataSource {
  const pages = [rows];
  const query = {
    where: () => query,
    andWhere: () => query,
    orderBy: () => query,
    limit: () => query,
    getMany: () => Promise.resolve(pages.shift() ?? []),
  };
  return { manager: { createQueryBuilder: () => query } } as unknown as DataSource;
}

function hub(
  dispatcher: EventDispatcher,
  // The database is only read to catch up after Last-Event-ID.
  outbox = {} as DataSource,
  heartbeatMs = 60_000,
  metrics = new Metrics(),
): EventStreamHub {
  const streams = new EventStreamHub(
    dispatcher,
    outbox,
    { streamHeartbeatMs: heartbeatMs, streamMaxBufferBytes: 4_096 },
    metrics,
  );
  streams.onModuleInit();
  return streams;
}

describe('EventStreamHub', () => {
  it('disconnects a client that stops reading instead of buffering for it without bound', async () => {
    const dispatcher = new EventDispatcher();
    const metrics = new Metrics();
    const streams = hub(dispatcher, undefined, undefined, metrics);
    const slow = client(true);
    const fast = client(false);
    await streams.open(admin, slow, undefined);
    await streams.open(admin, fast, undefined);
    for (let n = 1; n <= 200; n++) dispatcher.deliver(event(n));
    expect(slow.destroyed).toBe(true);
    expect(slow.writableLength).toBeLessThan(4_096 + 1_000);
    expect(fast.destroyed).toBe(false);
    expect(streams.size).toBe(1);
    expect(await metrics.registry.getSingleMetricAsString('keel_event_stream_clients')).toMatch(
      /^keel_event_stream_clients 1$/m,
    );
    expect((await metrics.streamDropped.get()).values[0].value).toBe(1);
    streams.beforeApplicationShutdown();
  });

  it('lets a client catch up at its own pace: heartbeats do not count it as too slow', async () => {
    const rows = Array.from({ length: 200 }, (_, i) => ({
      ...event(i + 1),
      occurredAt: new Date(0),
      publishedAt: null,
    }));
    const streams = hub(new EventDispatcher(), outboxOf(rows), 5);
    const behind = client(true);
    void streams.open(admin, behind, '0');
    await new Promise((r) => setTimeout(r, 100));
    // It has been given more than the live limit and is waiting for the client to take it.
    expect(behind.writableLength).toBeGreaterThan(4_096);
    expect(behind.destroyed).toBe(false);
    streams.beforeApplicationShutdown();
  });
});
