import { Outbox } from '@keel/events';
import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { IsNull } from 'typeorm';
import { RefreshToken } from '../../entities/refresh-token.entity';
import { Session } from '../../entities/session.entity';
import { endSession } from '../../session-ending';
import { SessionStatusCache } from '../../session-status.cache';
import { TokensService } from '../../tokens.service';
import { LogoutCommand } from './logout.command';

/** Ends the session the refresh token belongs to. Unknown tokens are ignored. */
@CommandHandler(LogoutCommand)
export class LogoutHandler implements ICommandHandler<LogoutCommand> {
  constructor(
    private readonly outbox: Outbox,
    private readonly tokens: TokensService,
    private readonly sessions: SessionStatusCache,
  ) {}

  async execute({ refreshToken }: LogoutCommand): Promise<void> {
    const parsed = this.tokens.parseRefreshToken(refreshToken);
    if (!parsed) return;
    const ended = await this.outbox.transaction(async (tx) => {
      const row = await tx.findOneBy(RefreshToken, { id: parsed.id });
      if (!row || !this.tokens.secretMatches(row, parsed.secret)) return [];
      const live = await tx.existsBy(Session, { id: row.familyId, endedAt: IsNull() });
      if (!live) return [];
      await endSession(
        tx,
        this.tokens,
        { id: row.familyId, userId: row.userId },
        row.userId,
        'logout',
      );
      return [row.familyId];
    });
    await this.sessions.ended(ended);
  }
}
