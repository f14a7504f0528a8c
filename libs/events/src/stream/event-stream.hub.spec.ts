import { Writable } from 'node:stream';
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

function hub(dispatcher: EventDispatcher): EventStreamHub {
  // The database is only read to replay after Last-Event-ID, which these tests do not send.
  const noDatabase = {} as DataSource;
  const streams = new EventStreamHub(dispatcher, noDatabase, {
    streamHeartbeatMs: 60_000,
    streamMaxBufferBytes: 4_096,
  });
  streams.onModuleInit();
  return streams;
}

describe('EventStreamHub', () => {
  it('disconnects a client that stops reading instead of buffering for it without bound', async () => {
    const dispatcher = new EventDispatcher();
    const streams = hub(dispatcher);
    const slow = client(true);
    const fast = client(false);
    await streams.open(admin, slow, undefined);
    await streams.open(admin, fast, undefined);
    for (let n = 1; n <= 200; n++) dispatcher.deliver(event(n));
    expect(slow.destroyed).toBe(true);
    expect(slow.writableLength).toBeLessThan(4_096 + 1_000);
    expect(fast.destroyed).toBe(false);
    expect(streams.size).toBe(1);
    streams.beforeApplicationShutdown();
  });
});
