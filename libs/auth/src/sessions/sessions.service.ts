import { authConfig } from '@keel/core';
import { Outbox, recordEvent } from '@keel/events';
import { User, UserNotFoundError } from '@keel/users';
import { Inject, Injectable } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { DataSource, IsNull, MoreThan, Not, type EntityManager } from 'typeorm';
import { Session } from '../entities/session.entity';
import { TokensService } from '../tokens.service';
import { mapSession, type SessionListDto } from './session.dto';
import { SessionNotFoundError } from './sessions.errors';

export type SessionEndReason = 'signed_out_elsewhere' | 'ended_by_admin';

/** Lists and ends sessions (refresh-token families). */
@Injectable()
export class SessionsService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly outbox: Outbox,
    private readonly tokens: TokensService,
    @Inject(authConfig.KEY) private readonly config: ConfigType<typeof authConfig>,
  ) {}

  /** The user's sessions that have not ended and whose latest refresh token has not expired. */
  async list(userId: string, currentId: string | undefined): Promise<SessionListDto> {
    const since = new Date(Date.now() - this.config.refreshTokenTtlSeconds * 1000);
    const rows = await this.dataSource.manager.find(Session, {
      where: { userId, endedAt: IsNull(), lastUsedAt: MoreThan(since) },
      order: { lastUsedAt: 'DESC' },
    });
    return { data: rows.map((row) => mapSession(row, currentId)) };
  }

  /** Ends one of the user's sessions; someone else's (or an unknown id) is not found. */
  async endOne(userId: string, sessionId: string): Promise<void> {
    await this.outbox.transaction(async (tx) => {
      const session = await tx.findOneBy(Session, { id: sessionId, userId });
      if (!session) throw new SessionNotFoundError();
      if (session.endedAt === null) await this.end(tx, session, userId, 'signed_out_elsewhere');
    });
  }

  /** Ends every session of the user but `keepId` (the caller's own). */
  async endOthers(userId: string, keepId: string | undefined): Promise<void> {
    await this.outbox.transaction(async (tx) => {
      const sessions = await tx.find(Session, {
        where: { userId, endedAt: IsNull(), ...(keepId ? { id: Not(keepId) } : {}) },
      });
      for (const session of sessions) await this.end(tx, session, userId, 'signed_out_elsewhere');
    });
  }

  /** An admin ends all of a user's sessions. */
  async endAllForUser(actorId: string, userId: string): Promise<void> {
    await this.outbox.transaction(async (tx) => {
      if (!(await tx.existsBy(User, { id: userId }))) throw new UserNotFoundError();
      const sessions = await tx.find(Session, { where: { userId, endedAt: IsNull() } });
      for (const session of sessions) await this.end(tx, session, actorId, 'ended_by_admin');
    });
  }

  private async end(
    tx: EntityManager,
    session: Session,
    actorId: string,
    reason: SessionEndReason,
  ): Promise<void> {
    await this.tokens.revokeFamily(tx, session.id);
    await recordEvent(tx, {
      type: 'auth.session_ended',
      aggregateType: 'session',
      aggregateId: session.id,
      actorId,
      data: { userId: session.userId, reason },
    });
  }
}
