import { Outbox, recordEvent } from '@keel/events';
import { UsersService } from '@keel/users';
import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { MailTokens } from '../../mail/mail-tokens';
import { SendMailJob } from '../../mail/send-mail.job';
import { ForgotPasswordCommand } from './forgot-password.command';

/**
 * Mails a reset link to the account with this address, if there is one. The caller gets
 * the same answer either way; the mail is queued, so no SMTP time shows in the response.
 */
@CommandHandler(ForgotPasswordCommand)
export class ForgotPasswordHandler implements ICommandHandler<ForgotPasswordCommand> {
  constructor(
    private readonly outbox: Outbox,
    private readonly users: UsersService,
    private readonly tokens: MailTokens,
    private readonly mail: SendMailJob,
  ) {}

  async execute({ email }: ForgotPasswordCommand): Promise<void> {
    const user = await this.users.findWithPassword({ email });
    if (!user || user.disabled) return;
    const enqueue = await this.outbox.transaction(async (tx) => {
      const token = await this.tokens.issue(tx, 'password_reset', user.id);
      const enqueue = await this.mail.queue(tx, {
        userId: user.id,
        template: 'password_reset',
        to: user.email,
        displayName: user.displayName,
        token,
      });
      await recordEvent(tx, {
        type: 'auth.password_reset_requested',
        aggregateType: 'user',
        aggregateId: user.id,
        actorId: null,
        data: {},
      });
      return enqueue;
    });
    await enqueue();
  }
}
