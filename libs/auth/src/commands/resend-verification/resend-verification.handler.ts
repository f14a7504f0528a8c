import { Outbox } from '@keel/events';
import { User } from '@keel/users';
import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { EmailAlreadyVerifiedError, InvalidAccessTokenError } from '../../auth.errors';
import { MailTokens } from '../../mail/mail-tokens';
import { SendMailJob } from '../../mail/send-mail.job';
import { queueVerificationMail } from '../../mail/send-verification';
import { ResendVerificationCommand } from './resend-verification.command';

/** Sends the signed-in user a new verification link (earlier ones stay valid until used or expired). */
@CommandHandler(ResendVerificationCommand)
export class ResendVerificationHandler implements ICommandHandler<ResendVerificationCommand> {
  constructor(
    private readonly outbox: Outbox,
    private readonly tokens: MailTokens,
    private readonly mail: SendMailJob,
  ) {}

  async execute({ userId }: ResendVerificationCommand): Promise<void> {
    const enqueue = await this.outbox.transaction(async (tx) => {
      const user = await tx.findOneBy(User, { id: userId });
      if (!user) throw new InvalidAccessTokenError();
      if (user.emailVerifiedAt) throw new EmailAlreadyVerifiedError();
      return queueVerificationMail(tx, this.tokens, this.mail, user);
    });
    await enqueue();
  }
}
