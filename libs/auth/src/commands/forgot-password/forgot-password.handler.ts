import { Outbox, recordEvent } from '@keel/events';
import { UsersService } from '@keel/users';
import { Logger, type BeforeApplicationShutdown } from '@nestjs/common';
import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { MailTokens } from '../../mail/mail-tokens';
import { SendMailJob } from '../../mail/send-mail.job';
import { ForgotPasswordCommand } from './forgot-password.command';

/**
 * Mails a reset link to the account with this address, if there is one. The caller gets
 * the same answer either way, after the same work: the lookup. The known address's writes
 * (the token, the mail's job, the event) run after the answer, so its time does not tell
 * an account exists; the mail is queued, so no SMTP time shows either.
 */
@CommandHandler(ForgotPasswordCommand)
export class ForgotPasswordHandler
  implements ICommandHandler<ForgotPasswordCommand>, BeforeApplicationShutdown
{
  private readonly logger = new Logger('Auth');
  /** Requests answered whose writes are still running; a shutdown waits for them. */
  private readonly pending = new Set<Promise<void>>();

  constructor(
    private readonly outbox: Outbox,
    private readonly users: UsersService,
    private readonly tokens: MailTokens,
    private readonly mail: SendMailJob,
  ) {}

  async execute({ email }: ForgotPasswordCommand): Promise<void> {
    const user = await this.users.findWithPassword({ email });
    if (!user || user.disabled) return;
    // Not awaited: see the class comment. A failure loses only this request's mail (the
    // person asks again), never a committed one.
    const work = this.mailResetLink(user)
      .catch((error: unknown) => this.logger.error({ err: error }, 'a reset link was not mailed'))
      .finally(() => this.pending.delete(work));
    this.pending.add(work);
  }

  async beforeApplicationShutdown(): Promise<void> {
    await Promise.all(this.pending);
  }

  private async mailResetLink(user: { id: string; email: string; displayName: string }) {
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
