import { Outbox } from '@keel/events';
import { User, UserNotFoundError } from '@keel/users';
import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { endSessionsOf } from '../../session-ending';
import { SessionStatusCache } from '../../session-status.cache';
import { TokensService } from '../../tokens.service';
import { EndUserSessionsCommand } from './end-user-sessions.command';

@CommandHandler(EndUserSessionsCommand)
export class EndUserSessionsHandler implements ICommandHandler<EndUserSessionsCommand> {
  constructor(
    private readonly outbox: Outbox,
    private readonly tokens: TokensService,
    private readonly sessions: SessionStatusCache,
  ) {}

  async execute({ actorId, userId }: EndUserSessionsCommand): Promise<void> {
    const ended = await this.outbox.transaction(async (tx) => {
      if (!(await tx.existsBy(User, { id: userId }))) throw new UserNotFoundError();
      return endSessionsOf(tx, this.tokens, userId, actorId, 'ended_by_admin');
    });
    await this.sessions.ended(ended);
  }
}
