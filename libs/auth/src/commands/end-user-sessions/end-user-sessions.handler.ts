import { Outbox } from '@keel/events';
import { User, UserNotFoundError } from '@keel/users';
import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { IsNull } from 'typeorm';
import { Session } from '../../entities/session.entity';
import { endSession } from '../../session-ending';
import { TokensService } from '../../tokens.service';
import { EndUserSessionsCommand } from './end-user-sessions.command';

@CommandHandler(EndUserSessionsCommand)
export class EndUserSessionsHandler implements ICommandHandler<EndUserSessionsCommand> {
  constructor(
    private readonly outbox: Outbox,
    private readonly tokens: TokensService,
  ) {}

  async execute({ actorId, userId }: EndUserSessionsCommand): Promise<void> {
    await this.outbox.transaction(async (tx) => {
      if (!(await tx.existsBy(User, { id: userId }))) throw new UserNotFoundError();
      const sessions = await tx.find(Session, { where: { userId, endedAt: IsNull() } });
      for (const session of sessions)
        await endSession(tx, this.tokens, session, actorId, 'ended_by_admin');
    });
  }
}
