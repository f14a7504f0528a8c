import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { DataSource } from 'typeorm';
import { RefreshToken } from '../../entities/refresh-token.entity';
import { TokensService } from '../../tokens.service';
import { LogoutCommand } from './logout.command';

/** Ends the session the refresh token belongs to. Unknown tokens are ignored. */
@CommandHandler(LogoutCommand)
export class LogoutHandler implements ICommandHandler<LogoutCommand> {
  constructor(
    private readonly dataSource: DataSource,
    private readonly tokens: TokensService,
  ) {}

  async execute({ refreshToken }: LogoutCommand): Promise<void> {
    const parsed = this.tokens.parseRefreshToken(refreshToken);
    if (!parsed) return;
    await this.dataSource.transaction(async (tx) => {
      const row = await tx.findOneBy(RefreshToken, { id: parsed.id });
      if (row && this.tokens.secretMatches(row, parsed.secret))
        await this.tokens.revokeFamily(tx, row.familyId);
    });
  }
}
