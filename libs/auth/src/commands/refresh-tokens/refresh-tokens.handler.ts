import { authConfig, Metrics } from '@keel/core';
import { User } from '@keel/users';
import { Inject, Logger } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { Outbox, recordEvent } from '@keel/events';
import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import type { EntityManager } from 'typeorm';
import { InvalidRefreshTokenError, RefreshTokenReusedError } from '../../auth.errors';
import type { TokenResponseDto } from '../../dto/auth.dto';
import { RefreshToken } from '../../entities/refresh-token.entity';
import { endSession } from '../../session-ending';
import { SessionStatusCache } from '../../session-status.cache';
import { TokensService } from '../../tokens.service';
import { RefreshTokensCommand } from './refresh-tokens.command';

/**
 * Rotates a refresh token. Presenting an already-used one revokes its whole family, except
 * within the reuse grace window while its successor is still unused: two tabs refreshing at
 * once both get that successor, instead of the second one signing the user out.
 */
@CommandHandler(RefreshTokensCommand)
export class RefreshTokensHandler implements ICommandHandler<RefreshTokensCommand> {
  private readonly logger = new Logger('Auth');

  constructor(
    private readonly outbox: Outbox,
    private readonly tokens: TokensService,
    @Inject(authConfig.KEY) private readonly config: ConfigType<typeof authConfig>,
    private readonly metrics: Metrics,
    private readonly sessions: SessionStatusCache,
  ) {}

  async execute({ refreshToken, client }: RefreshTokensCommand): Promise<TokenResponseDto> {
    const parsed = this.tokens.parseRefreshToken(refreshToken);
    if (!parsed) throw new InvalidRefreshTokenError();
    const outcome = await this.outbox.transaction(async (tx) => {
      // The lock makes concurrent presentations of one token take turns.
      const row = await tx.findOne(RefreshToken, {
        where: { id: parsed.id },
        lock: { mode: 'pessimistic_write' },
      });
      if (!row || !this.tokens.secretMatches(row, parsed.secret)) return 'invalid' as const;
      if (row.usedAt !== null && row.revokedAt === null) {
        const successor = await this.successorWithinGrace(tx, row);
        if (successor) {
          if (!(await this.mayRefresh(tx, row.userId))) return 'invalid' as const;
          if (!(await this.tokens.touchSession(tx, row.familyId, client)))
            return 'invalid' as const;
          return this.tokens.reissue(row, successor);
        }
        const session = { id: row.familyId, userId: row.userId };
        await endSession(tx, this.tokens, session, null, 'refresh_reused');
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
      if (!(await this.mayRefresh(tx, row.userId))) return 'invalid' as const;
      // Locks the session after the token, the order ending a session takes too.
      if (!(await this.tokens.touchSession(tx, row.familyId, client))) return 'invalid' as const;
      return this.tokens.rotate(tx, row);
    });
    if (outcome === 'invalid') throw new InvalidRefreshTokenError();
    if ('reused' in outcome) {
      await this.sessions.ended([outcome.reused.familyId]);
      this.metrics.refreshTokenReuse.inc();
      this.logger.warn(
        { userId: outcome.reused.userId, familyId: outcome.reused.familyId },
        'refresh token reused; family revoked',
      );
      throw new RefreshTokenReusedError();
    }
    return outcome;
  }

  /** The used token's successor, if the token was used moments ago and the successor never was. */
  private async successorWithinGrace(
    tx: EntityManager,
    used: RefreshToken,
  ): Promise<RefreshToken | null> {
    const graceMs = this.config.refreshReuseGraceSeconds * 1000;
    if (used.replacedBy === null || used.usedAt === null) return null;
    if (Date.now() - used.usedAt.getTime() >= graceMs) return null;
    // Locked: a rotation of the successor running now is waited for, and then seen.
    const successor = await tx.findOne(RefreshToken, {
      where: { id: used.replacedBy },
      lock: { mode: 'pessimistic_write' },
    });
    const unused =
      successor?.usedAt === null &&
      successor.revokedAt === null &&
      successor.expiresAt.getTime() > Date.now();
    return unused ? successor : null;
  }

  private async mayRefresh(tx: EntityManager, userId: string): Promise<boolean> {
    const user = await tx.findOneBy(User, { id: userId });
    return user !== null && !user.disabled;
  }
}
