import { Outbox, recordEvent } from '@keel/events';
import { UsersService } from '@keel/users';
import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { InvalidMailTokenError } from '../../auth.errors';
import { MailTokens } from '../../mail/mail-tokens';
import { PasswordHasher } from '../../password-hasher';
import { endSessionsOf } from '../../session-ending';
import { SessionStatusCache } from '../../session-status.cache';
import { TokensService } from '../../tokens.service';
import { ResetPasswordCommand } from './reset-password.command';

/**
 * Uses a reset token: sets the new password and ends every session of its user. The token
 * came by mail, so the address is verified too.
 */
@CommandHandler(ResetPasswordCommand)
export class ResetPasswordHandler implements ICommandHandler<ResetPasswordCommand> {
  constructor(
    private readonly outbox: Outbox,
    private readonly users: UsersService,
    private readonly hasher: PasswordHasher,
    private readonly tokens: TokensService,
    private readonly sessions: SessionStatusCache,
    private readonly mailTokens: MailTokens,
  ) {}

  async execute({ input }: ResetPasswordCommand): Promise<void> {
    // Hashed before the transaction: argon2 takes long, and the token is checked inside.
    const passwordHash = await this.hasher.hash(input.password);
    const ended = await this.outbox.transaction(async (tx) => {
      const userId = await this.mailTokens.consume(tx, 'password_reset', input.token);
      if (!userId) throw new InvalidMailTokenError();
      await this.users.setPasswordHash(userId, passwordHash, tx);
      await this.users.markEmailVerified(userId, tx);
      const ended = await endSessionsOf(tx, this.tokens, userId, userId, 'password_reset');
      await recordEvent(tx, {
        type: 'auth.password_reset',
        aggregateType: 'user',
        aggregateId: userId,
        actorId: userId,
        data: {},
      });
      return ended;
    });
    await this.sessions.ended(ended);
  }
}
