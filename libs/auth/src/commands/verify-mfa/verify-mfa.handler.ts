import { Metrics } from '@keel/core';
import { Outbox } from '@keel/events';
import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { DataSource } from 'typeorm';
import { InvalidMfaChallengeError } from '../../auth.errors';
import type { TokenResponseDto } from '../../dto/auth.dto';
import { MfaService } from '../../mfa/mfa.service';
import { sha256 } from '../../mfa/totp';
import { TokensService } from '../../tokens.service';
import { VerifyMfaCommand } from './verify-mfa.command';

/** The challenge is single use: whoever marks it first wins. Tokens of a new session. */
@CommandHandler(VerifyMfaCommand)
export class VerifyMfaHandler implements ICommandHandler<VerifyMfaCommand> {
  constructor(
    private readonly dataSource: DataSource,
    private readonly outbox: Outbox,
    private readonly mfa: MfaService,
    private readonly tokens: TokensService,
    private readonly metrics: Metrics,
  ) {}

  async execute({ input, client, reply }: VerifyMfaCommand): Promise<TokenResponseDto> {
    const challengeHash = sha256(input.challenge);
    const [pending] = await this.dataSource.query<Array<{ user_id: string }>>(
      `SELECT user_id FROM mfa_challenges
       WHERE token_hash = $1 AND used_at IS NULL AND expires_at > now()`,
      [challengeHash],
    );
    if (!pending) throw new InvalidMfaChallengeError();
    const userId = pending.user_id;
    await this.mfa.limitCodeAttempts(userId, reply);
    return this.outbox.transaction(async (tx) => {
      const row = await this.mfa.enabledRow(tx, userId);
      if (/^\d{6}$/.test(input.code)) await this.mfa.useTotpCode(tx, userId, row, input.code);
      else await this.mfa.useRecoveryCode(tx, userId, input.code);
      // Single use: whoever marks it first wins; a second attempt with it is refused.
      const consumed = await tx.query<unknown[]>(
        `WITH used AS (
           UPDATE mfa_challenges SET used_at = now()
           WHERE token_hash = $1 AND used_at IS NULL AND expires_at > now() RETURNING id)
         SELECT id FROM used`,
        [challengeHash],
      );
      if (consumed.length === 0) throw new InvalidMfaChallengeError();
      this.metrics.logins.inc({ outcome: 'success' });
      return this.tokens.issue(tx, userId, client);
    });
  }
}
