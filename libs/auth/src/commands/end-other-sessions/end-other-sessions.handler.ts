import { Outbox } from '@keel/events';
import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { endSessionsOf } from '../../session-ending';
import { SessionStatusCache } from '../../session-status.cache';
import { TokensService } from '../../tokens.service';
import { EndOtherSessionsCommand } from './end-other-sessions.command';

@CommandHandler(EndOtherSessionsCommand)
export class EndOtherSessionsHandler implements ICommandHandler<EndOtherSessionsCommand> {
  constructor(
    private readonly outbox: Outbox,
    private readonly tokens: TokensService,
    private readonly sessions: SessionStatusCache,
  ) {}

  async execute({ userId, keepId }: EndOtherSessionsCommand): Promise<void> {
    const ended = await this.outbox.transaction((tx) =>
      endSessionsOf(tx, this.tokens, userId, userId, 'ended_by_user', keepId),
    );
    await this.sessions.ended(ended);
  }
}
