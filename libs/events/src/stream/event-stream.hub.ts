import { eventsConfig, inSpan, Metrics, type AuthUser } from '@keel/core';
import {
  Inject,
  Injectable,
  Logger,
  type BeforeApplicationShutdown,
  type OnModuleInit,
} from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import type { Writable } from 'node:stream';
import { DataSource, type SelectQueryBuilder } from 'typeorm';
import { toIntegrationEvent, type IntegrationEvent } from '../domain-event';
import { OutboxEvent } from '../entities/outbox-event.entity';
import { EventDispatcher } from '../event-dispatcher';

/** Rows read per query while a client catches up. */
const REPLAY_PAGE = 500;
/** Live events held for a client still catching up; past it they are read from the outbox again. */
const MAX_PENDING = 1_000;

interface Client {
  user: AuthUser;
  out: Writable;
  /** Position of the last event sent: only later ones go out, so nothing is sent twice. */
  last: bigint;
  /** Live events that arrived during the catch-up; undefined once the client is live. */
  pending?: IntegrationEvent[];
  /** The pending events were dropped: the catch-up reads the outbox once more. */
  overflowed: boolean;
}

/**
 * Who may watch what: admins every event; everyone else item events, their own account's,
 * their jobs' and their webhooks' (those record their owner as the actor). `visibleTo` is
 * the same rule in SQL, for the catch-up. Webhook fan-out applies this rule too.
 */
export function mayWatch(user: AuthUser, event: IntegrationEvent): boolean {
  return (
    user.roles.includes('admin') ||
    event.aggregateType === 'item' ||
    (event.aggregateType === 'user' && event.aggregateId === user.id) ||
    ((event.aggregateType === 'job' || event.aggregateType === 'webhook') &&
      event.actorId === user.id)
  );
}

function visibleTo(
  query: SelectQueryBuilder<OutboxEvent>,
  user: AuthUser,
): SelectQueryBuilder<OutboxEvent> {
  if (user.roles.includes('admin')) return query;
  return query.andWhere(
    `(e.aggregate_type = 'item'
      OR (e.aggregate_type = 'user' AND e.aggregate_id = :userId)
      OR (e.aggregate_type IN ('job', 'webhook') AND CAST(e.actor_id AS text) = :userId))`,
    { userId: user.id },
  );
}

function frame(event: IntegrationEvent): string {
  return `id: ${event.position}\nevent: ${event.type}\ndata: ${JSON.stringify(event)}\n\n`;
}

/** Resolves true once `out` takes more, false if it closed first. */
function drained(out: Writable): Promise<boolean> {
  if (out.destroyed || out.writableEnded) return Promise.resolve(false);
  return new Promise((resolve) => {
    const done = (ok: boolean) => () => {
      out.off('drain', onDrain).off('close', onClose);
      resolve(ok);
    };
    const onDrain = done(true);
    const onClose = done(false);
    out.once('drain', onDrain).once('close', onClose);
  });
}

/**
 * This process's server-sent-event clients, fed by the dispatcher. Events go out in
 * `position` order, which the relay gives in commit order, so `Last-Event-ID` (a position)
 * says exactly what a client has seen.
 */
@Injectable()
export class EventStreamHub implements OnModuleInit, BeforeApplicationShutdown {
  private readonly logger = new Logger(EventStreamHub.name);
  private readonly clients = new Set<Client>();
  private heartbeat?: NodeJS.Timeout;

  constructor(
    private readonly dispatcher: EventDispatcher,
    private readonly dataSource: DataSource,
    /** A live client whose unsent output passes `streamMaxBufferBytes` is dropped; it resumes with Last-Event-ID. */
    @Inject(eventsConfig.KEY) private readonly cfg: ConfigType<typeof eventsConfig>,
    private readonly metrics: Metrics,
  ) {}

  onModuleInit(): void {
    this.metrics.watchStreamClients(() => this.clients.size);
    this.dispatcher.subscribe((event) => {
      if (this.clients.size === 0) return;
      // A child of the event's handling, so the stream's sends show in the writer's trace.
      inSpan(
        'event-stream send',
        { attributes: { 'keel.stream.clients': this.clients.size } },
        () => {
          for (const client of this.clients) this.deliver(client, event);
        },
      );
    });
    this.heartbeat = setInterval(() => {
      // A client catching up is being written to already, at its own pace.
      for (const client of this.clients) if (!client.pending) this.write(client, ': heartbeat\n\n');
    }, this.cfg.streamHeartbeatMs).unref();
  }

  /** Streams are ended before the server closes, so a shutdown is not held up by them. */
  beforeApplicationShutdown(): void {
    clearInterval(this.heartbeat);
    for (const client of this.clients) client.out.end();
    this.clients.clear();
  }

  get size(): number {
    return this.clients.size;
  }

  /**
   * Streams to `out`. With `after` (a position), first what the client missed, read from the
   * outbox page by page at the pace the client takes it, while live events wait; then the
   * waiting ones and live events, each once, in order.
   */
  async open(user: AuthUser, out: Writable, after: string | undefined): Promise<void> {
    const client: Client = {
      user,
      out,
      last: BigInt(after ?? 0),
      pending: after === undefined ? undefined : [],
      overflowed: false,
    };
    this.clients.add(client);
    out.on('close', () => this.clients.delete(client));
    if (after === undefined) return;
    try {
      await this.catchUp(client);
    } catch (error) {
      // The client reconnects with the last id it got and the catch-up starts over from there.
      this.logger.warn({ err: error, userId: user.id }, 'event stream catch-up failed');
      this.clients.delete(client);
      out.destroy();
    }
  }

  private async catchUp(client: Client): Promise<void> {
    do {
      client.overflowed = false;
      client.pending = [];
      for (;;) {
        const rows = await visibleTo(
          this.dataSource.manager
            .createQueryBuilder(OutboxEvent, 'e')
            .where('e.position > CAST(:last AS bigint)', { last: String(client.last) }),
          client.user,
        )
          .orderBy('e.position', 'ASC')
          .limit(REPLAY_PAGE)
          .getMany();
        for (const row of rows) {
          const event = toIntegrationEvent(row);
          client.last = BigInt(row.position ?? 0);
          if (!client.out.write(frame(event)) && !(await drained(client.out))) return;
        }
        if (rows.length < REPLAY_PAGE) break;
      }
      // No await from here to going live: nothing can arrive in between.
    } while (client.overflowed);
    const pending = client.pending;
    client.pending = undefined;
    for (const event of pending) this.deliver(client, event);
  }

  private deliver(client: Client, event: IntegrationEvent): void {
    if (client.pending) {
      if (client.pending.length < MAX_PENDING) client.pending.push(event);
      else client.overflowed = true;
      return;
    }
    if (event.position === null || BigInt(event.position) <= client.last) return;
    if (!mayWatch(client.user, event)) return;
    client.last = BigInt(event.position);
    this.write(client, frame(event));
  }

  private write(client: Client, text: string): void {
    if (client.out.writableEnded) return;
    if (client.out.writableLength > this.cfg.streamMaxBufferBytes) {
      this.logger.warn({ userId: client.user.id }, 'event stream client too slow; disconnected');
      this.metrics.streamDropped.inc();
      this.clients.delete(client);
      client.out.destroy();
      return;
    }
    client.out.write(text);
  }
}
