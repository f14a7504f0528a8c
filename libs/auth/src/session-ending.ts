import { recordEvent } from '@keel/events';
import type { EntityManager } from 'typeorm';
import type { Session } from './entities/session.entity';
import type { TokensService } from './tokens.service';

export type SessionEndReason = 'ended_by_user' | 'ended_by_admin';

/** Revokes the session's refresh tokens, marks it ended and records `auth.session_ended`. */
export async function endSession(
  tx: EntityManager,
  tokens: TokensService,
  session: Session,
  actorId: string,
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
