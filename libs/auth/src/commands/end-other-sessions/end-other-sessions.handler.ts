import { Outbox } from '@keel/events';
import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { IsNull, Not } from 'typeorm';
import { Session } from '../../entities/session.entity';
import { endSession } from '../../session-ending';
import { TokensService } from '../../tokens.service';
import { EndOtherSessionsCommand } from './end-other-sessions.command';

@CommandHandler(EndOtherSessionsCommand)
export class EndOtherSessionsHandler implements ICommandHandler<EndOtherSessionsCommand> {
  constructor(
    private readonly outbox: Outbox,
    private readonly tokens: TokensService,
  ) {}

  async execute({ userId, keepId }: EndOtherSessionsCommand): Promise<void> {
    await this.outbox.transaction(async (tx) => {
      const sessions = await tx.find(Session, {
        where: { userId, endedAt: IsNull(), ...(keepId ? { id: Not(keepId) } : {}) },
      });
      for (const session of sessions)
        await endSession(tx, this.tokens, session, userId, 'ended_by_user');
    });
  }
}
