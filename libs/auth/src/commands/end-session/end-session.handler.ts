import { Outbox } from '@keel/events';
import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { Session } from '../../entities/session.entity';
import { endSession } from '../../session-ending';
import { SessionStatusCache } from '../../session-status.cache';
import { SessionNotFoundError } from '../../sessions.errors';
import { TokensService } from '../../tokens.service';
import { EndSessionCommand } from './end-session.command';

/** Someone else's session (or an unknown id) is not found; an ended one of yours is a no-op. */
@CommandHandler(EndSessionCommand)
export class EndSessionHandler implements ICommandHandler<EndSessionCommand> {
  constructor(
    private readonly outbox: Outbox,
    private readonly tokens: TokensService,
    private readonly sessions: SessionStatusCache,
  ) {}

  async execute({ userId, sessionId }: EndSessionCommand): Promise<void> {
    const ended = await this.outbox.transaction(async (tx) => {
      const session = await tx.findOneBy(Session, { id: sessionId, userId });
      if (!session) throw new SessionNotFoundError();
      if (session.endedAt !== null) return [];
      await endSession(tx, this.tokens, session, userId, 'ended_by_user');
      return [session.id];
    });
    await this.sessions.ended(ended);
  }
}
