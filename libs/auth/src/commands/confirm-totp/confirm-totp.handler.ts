import { Outbox, recordEvent } from '@keel/events';
import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { MfaStateError } from '../../auth.errors';
import type { RecoveryCodesDto } from '../../mfa/mfa.dto';
import { MfaService } from '../../mfa/mfa.service';
import { ConfirmTotpCommand } from './confirm-totp.command';

/** Answers the ten recovery codes, once; records `auth.mfa_enabled`. */
@CommandHandler(ConfirmTotpCommand)
export class ConfirmTotpHandler implements ICommandHandler<ConfirmTotpCommand> {
  constructor(
    private readonly outbox: Outbox,
    private readonly mfa: MfaService,
  ) {}

  async execute({ userId, code, reply }: ConfirmTotpCommand): Promise<RecoveryCodesDto> {
    await this.mfa.limitCodeAttempts(userId, reply);
    return this.outbox.transaction(async (tx) => {
      const row = await this.mfa.totpRow(tx, userId);
      if (!row || row.enabled_at) throw new MfaStateError('Start the enrolment first.');
      await this.mfa.useTotpCode(tx, userId, row, code);
      await tx.query(`UPDATE user_totp SET enabled_at = now() WHERE user_id = $1`, [userId]);
      const recoveryCodes = await this.mfa.replaceRecoveryCodes(tx, userId);
      await recordEvent(tx, {
        type: 'auth.mfa_enabled',
        aggregateType: 'user',
        aggregateId: userId,
        actorId: userId,
        data: { method: 'totp' },
      });
      return { recoveryCodes };
    });
  }
}
