import { eventsConfig, type AuthUser } from '@keel/core';
import {
  Inject,
  Injectable,
  Logger,
  type BeforeApplicationShutdown,
  type OnModuleInit,
} from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import type { ServerResponse } from 'node:http';
import { DataSource } from 'typeorm';
import { toIntegrationEvent, type IntegrationEvent } from '../domain-event';
import { OutboxEvent } from '../entities/outbox-event.entity';
import { EventDispatcher } from '../event-dispatcher';

const MAX_REPLAY = 1_000;

interface Client {
  user: AuthUser;
  res: ServerResponse;
  /** Ids already sent: replay and live delivery may overlap. */
  sent: Set<string>;
}

/** Who may watch what: admins every event; everyone else item events, their own account's and their jobs'. */
export function mayWatch(user: AuthUser, event: IntegrationEvent): boolean {
  return (
    user.roles.includes('admin') ||
    event.aggregateType === 'item' ||
    (event.aggregateType === 'user' && event.aggregateId === user.id) ||
    (event.aggregateType === 'job' && event.actorId === user.id)
  );
}

function frame(event: IntegrationEvent): string {
  return `id: ${event.seq}\nevent: ${event.type}\ndata: ${JSON.stringify(event)}\n\n`;
}

/** This process's server-sent-event clients, fed by the dispatcher. */
@Injectable()
export class EventStreamHub implements OnModuleInit, BeforeApplicationShutdown {
  private readonly logger = new Logger(EventStreamHub.name);
  private readonly clients = new Set<Client>();
  private heartbeat?: NodeJS.Timeout;

  constructor(
    private readonly dispatcher: EventDispatcher,
    private readonly dataSource: DataSource,
    /** A client whose unsent output passes `streamMaxBufferBytes` is dropped; it resumes with Last-Event-ID. */
    @Inject(eventsConfig.KEY) private readonly cfg: ConfigType<typeof eventsConfig>,
  ) {}

  onModuleInit(): void {
    this.dispatcher.subscribe((event) => {
      for (const client of this.clients) this.send(client, event);
    });
    this.heartbeat = setInterval(() => {
      for (const client of this.clients) this.write(client, ': heartbeat\n\n');
    }, this.cfg.streamHeartbeatMs).unref();
  }

  /** Streams are ended before the server closes, so a shutdown is not held up by them. */
  beforeApplicationShutdown(): void {
    clearInterval(this.heartbeat);
    for (const client of this.clients) client.res.end();
    this.clients.clear();
  }

  get size(): number {
    return this.clients.size;
  }

  /**
   * Starts streaming to `res`: live events at once, and first what the client missed after
   * `lastSeq` (from the audit log), so a reconnecting client loses nothing.
   */
  async open(user: AuthUser, res: ServerResponse, lastSeq: string | undefined): Promise<void> {
    const client: Client = { user, res, sent: new Set() };
    this.clients.add(client);
    res.on('close', () => this.clients.delete(client));
    if (lastSeq === undefined) return;
    const missed = await this.dataSource.manager
      .createQueryBuilder(OutboxEvent, 'e')
      .where('e.seq > CAST(:lastSeq AS bigint)', { lastSeq })
      .orderBy('e.seq', 'ASC')
      .limit(MAX_REPLAY)
      .getMany();
    for (const row of missed) this.send(client, toIntegrationEvent(row));
  }

  private send(client: Client, event: IntegrationEvent): void {
    if (client.sent.has(event.id) || !mayWatch(client.user, event)) return;
    client.sent.add(event.id);
    if (client.sent.size > 10_000) client.sent.delete(client.sent.values().next().value ?? '');
    this.write(client, frame(event));
  }

  private write(client: Client, text: string): void {
    if (client.res.writableEnded) return;
    if (client.res.writableLength > this.cfg.streamMaxBufferBytes) {
      this.logger.warn({ userId: client.user.id }, 'event stream client too slow; disconnected');
      this.clients.delete(client);
      client.res.destroy();
      return;
    }
    client.res.write(text);
  }
}
