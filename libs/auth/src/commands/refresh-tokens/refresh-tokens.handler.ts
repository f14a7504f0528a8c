import { User } from '@keel/users';
import { Logger } from '@nestjs/common';
import { Outbox, recordEvent } from '@keel/events';
import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { InvalidRefreshTokenError, RefreshTokenReusedError } from '../../auth.errors';
import type { TokenResponseDto } from '../../dto/auth.dto';
import { RefreshToken } from '../../entities/refresh-token.entity';
import { TokensService } from '../../tokens.service';
import { RefreshTokensCommand } from './refresh-tokens.command';

/** Rotates a refresh token. Presenting an already-used one revokes its whole family. */
@CommandHandler(RefreshTokensCommand)
export class RefreshTokensHandler implements ICommandHandler<RefreshTokensCommand> {
  private readonly logger = new Logger('Auth');

  constructor(
    private readonly outbox: Outbox,
    private readonly tokens: TokensService,
  ) {}

  async execute({ refreshToken }: RefreshTokensCommand): Promise<TokenResponseDto> {
    const parsed = this.tokens.parseRefreshToken(refreshToken);
    if (!parsed) throw new InvalidRefreshTokenError();
    const outcome = await this.outbox.transaction(async (tx) => {
      const row = await tx.findOne(RefreshToken, {
        where: { id: parsed.id },
        lock: { mode: 'pessimistic_write' },
      });
      if (!row || !this.tokens.secretMatches(row, parsed.secret)) return 'invalid' as const;
      if (row.usedAt !== null && row.revokedAt === null) {
        await this.tokens.revokeFamily(tx, row.familyId);
        await recordEvent(tx, {
          type: 'auth.refresh_reused',
          aggregateType: 'user',
          aggregateId: row.userId,
          actorId: null,
          data: { familyId: row.familyId },
        });
        return { reused: row } as const;
      }
      if (row.revokedAt !== null || row.expiresAt.getTime() <= Date.now())
        return 'invalid' as const;
      const user = await tx.findOneBy(User, { id: row.userId });
      if (!user || user.disabled) return 'invalid' as const;
      await tx.update(RefreshToken, { id: row.id }, { usedAt: new Date() });
      return this.tokens.issue(tx, row.userId, row.familyId);
    });
    if (outcome === 'invalid') throw new InvalidRefreshTokenError();
    if ('reused' in outcome) {
      this.logger.warn(
        { userId: outcome.reused.userId, familyId: outcome.reused.familyId },
        'refresh token reused; family revoked',
      );
      throw new RefreshTokenReusedError();
    }
    return outcome;
  }
}
