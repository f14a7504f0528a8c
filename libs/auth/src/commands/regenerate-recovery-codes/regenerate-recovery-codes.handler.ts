import { Outbox } from '@keel/events';
import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import type { RecoveryCodesDto } from '../../mfa/mfa.dto';
import { MfaService } from '../../mfa/mfa.service';
import { RegenerateRecoveryCodesCommand } from './regenerate-recovery-codes.command';

@CommandHandler(RegenerateRecoveryCodesCommand)
export class RegenerateRecoveryCodesHandler implements ICommandHandler<RegenerateRecoveryCodesCommand> {
  constructor(
    private readonly outbox: Outbox,
    private readonly mfa: MfaService,
  ) {}

  async execute({
    userId,
    code,
    reply,
  }: RegenerateRecoveryCodesCommand): Promise<RecoveryCodesDto> {
    await this.mfa.limitCodeAttempts(userId, reply);
    return this.outbox.transaction(async (tx) => {
      const row = await this.mfa.enabledRow(tx, userId);
      await this.mfa.useTotpCode(tx, userId, row, code);
      return { recoveryCodes: await this.mfa.replaceRecoveryCodes(tx, userId) };
    });
  }
}
