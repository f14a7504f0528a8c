import { Outbox, recordEvent } from '@keel/events';
import { UsersService } from '@keel/users';
import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { InvalidCredentialsError } from '../../auth.errors';
import { MfaService } from '../../mfa/mfa.service';
import { PasswordHasher } from '../../password-hasher';
import { DisableTotpCommand } from './disable-totp.command';

/** Deletes the secret, the recovery codes and pending challenges; records `auth.mfa_disabled`. */
@CommandHandler(DisableTotpCommand)
export class DisableTotpHandler implements ICommandHandler<DisableTotpCommand> {
  constructor(
    private readonly outbox: Outbox,
    private readonly users: UsersService,
    private readonly hasher: PasswordHasher,
    private readonly mfa: MfaService,
  ) {}

  async execute({ userId, input, reply }: DisableTotpCommand): Promise<void> {
    await this.mfa.limitCodeAttempts(userId, reply);
    const user = await this.users.findWithPassword({ id: userId });
    if (!user || !(await this.hasher.verify(user.passwordHash, input.password)))
      throw new InvalidCredentialsError();
    await this.outbox.transaction(async (tx) => {
      const row = await this.mfa.enabledRow(tx, userId);
      await this.mfa.useTotpCode(tx, userId, row, input.code);
      await tx.query(`DELETE FROM mfa_recovery_codes WHERE user_id = $1`, [userId]);
      await tx.query(`DELETE FROM mfa_challenges WHERE user_id = $1`, [userId]);
      await tx.query(`DELETE FROM user_totp WHERE user_id = $1`, [userId]);
      await recordEvent(tx, {
        type: 'auth.mfa_disabled',
        aggregateType: 'user',
        aggregateId: userId,
        actorId: userId,
        data: { method: 'totp' },
      });
    });
  }
}
