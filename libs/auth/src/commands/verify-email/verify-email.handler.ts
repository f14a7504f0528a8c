import { Outbox, recordEvent } from '@keel/events';
import { UsersService } from '@keel/users';
import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { InvalidMailTokenError } from '../../auth.errors';
import { MailTokens } from '../../mail/mail-tokens';
import { VerifyEmailCommand } from './verify-email.command';

/** Uses a verification token: its user's address is verified from now on. */
@CommandHandler(VerifyEmailCommand)
export class VerifyEmailHandler implements ICommandHandler<VerifyEmailCommand> {
  constructor(
    private readonly outbox: Outbox,
    private readonly tokens: MailTokens,
    private readonly users: UsersService,
  ) {}

  async execute({ token }: VerifyEmailCommand): Promise<void> {
    await this.outbox.transaction(async (tx) => {
      const userId = await this.tokens.consume(tx, 'email_verification', token);
      if (!userId) throw new InvalidMailTokenError();
      await this.users.markEmailVerified(userId, tx);
      await recordEvent(tx, {
        type: 'auth.email_verified',
        aggregateType: 'user',
        aggregateId: userId,
        actorId: userId,
        data: {},
      });
    });
  }
}
