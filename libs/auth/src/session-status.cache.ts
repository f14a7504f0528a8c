import { authConfig, databaseConfig } from '@keel/core';
import { AggregateCache, EventDispatcher, EventTransport } from '@keel/events';
import { Inject, Injectable } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { InjectRepository } from '@nestjs/typeorm';
import { Repository } from 'typeorm';
import { Session } from './entities/session.entity';

/** What the JWT check needs of the session (`sid`) an access token was issued for. */
export interface SessionStatus {
  userId: string;
  ended: boolean;
}

/**
 * Session status by id, kept in this process so that checking an access token's session does
 * not read `auth_sessions` per request. Ending a session records `auth.session_ended` (aggregate
 * `session`), which drops the entry on every process; the commands that end sessions call
 * `forget` after their commit and await `settled` before answering, as the account status
 * does (same TTL, `AUTH_USER_STATUS_TTL_MS`; the guarantee is in AggregateCache).
 */
@Injectable()
export class SessionStatusCache extends AggregateCache<SessionStatus> {
  constructor(
    @InjectRepository(Session) private readonly sessions: Repository<Session>,
    dispatcher: EventDispatcher,
    transport: EventTransport,
    @Inject(authConfig.KEY) auth: ConfigType<typeof authConfig>,
    @Inject(databaseConfig.KEY) database: ConfigType<typeof databaseConfig>,
  ) {
    super(dispatcher, transport, {
      aggregateType: 'session',
      ttlMs: auth.userStatusTtlMs,
      shared: database.url !== undefined,
    });
  }

  /**
   * After the commit that ended `ids`, before answering: drops them here and resolves once no
   * process can still accept their access tokens.
   */
  async ended(ids: readonly string[]): Promise<void> {
    if (ids.length === 0) return;
    for (const id of ids) this.forget(id);
    await this.settled();
  }

  protected async read(id: string): Promise<SessionStatus | null> {
    const session = await this.sessions.findOne({
      where: { id },
      select: { id: true, userId: true, endedAt: true },
    });
    return session && { userId: session.userId, ended: session.endedAt !== null };
  }
}
