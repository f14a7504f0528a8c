import { recordEvent } from '@keel/events';
import { IsNull, Not, type EntityManager } from 'typeorm';
import { Session } from './entities/session.entity';
import type { TokensService } from './tokens.service';

export type SessionEndReason =
  | 'ended_by_user'
  | 'ended_by_admin'
  | 'logout'
  | 'password_changed'
  | 'password_reset'
  | 'refresh_reused';

/**
 * Revokes the session's refresh tokens, marks it ended and records `auth.session_ended`
 * (aggregate `session`: the event drops the session from every process's SessionStatusCache,
 * which refuses its access tokens). After the commit, the command hands the ended ids to
 * `SessionStatusCache.ended` before answering.
 */
export async function endSession(
  tx: EntityManager,
  tokens: TokensService,
  session: Pick<Session, 'id' | 'userId'>,
  actorId: string | null,
  reason: SessionEndReason,
): Promise<void> {
  await tokens.revokeFamily(tx, session.id);
  await recordEvent(tx, {
    type: 'auth.session_ended',
    aggregateType: 'session',
    aggregateId: session.id,
    actorId,
    data: { userId: session.userId, reason },
  });
}

/** Ends every live session of the user except `keepId`; answers the ids it ended. */
export async function endSessionsOf(
  tx: EntityManager,
  tokens: TokensService,
  userId: string,
  actorId: string | null,
  reason: SessionEndReason,
  keepId?: string,
): Promise<string[]> {
  const sessions = await tx.find(Session, {
    where: { userId, endedAt: IsNull(), ...(keepId ? { id: Not(keepId) } : {}) },
  });
  for (const session of sessions) await endSession(tx, tokens, session, actorId, reason);
  return sessions.map((s) => s.id);
}
