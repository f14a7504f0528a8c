import { UsersService } from '@keel/users';
import { Outbox, recordEvent } from '@keel/events';
import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { InvalidCredentialsError } from '../../auth.errors';
import { PasswordHasher } from '../../password-hasher';
import { endSessionsOf } from '../../session-ending';
import { SessionStatusCache } from '../../session-status.cache';
import { TokensService } from '../../tokens.service';
import { ChangePasswordCommand } from './change-password.command';

/** Changes the password and ends every session of the user. */
@CommandHandler(ChangePasswordCommand)
export class ChangePasswordHandler implements ICommandHandler<ChangePasswordCommand> {
  constructor(
    private readonly outbox: Outbox,
    private readonly users: UsersService,
    private readonly hasher: PasswordHasher,
    private readonly tokens: TokensService,
    private readonly sessions: SessionStatusCache,
  ) {}

  async execute({ userId, input }: ChangePasswordCommand): Promise<void> {
    const user = await this.users.findWithPassword({ id: userId });
    if (!user || !(await this.hasher.verify(user.passwordHash, input.currentPassword))) {
      throw new InvalidCredentialsError();
    }
    const passwordHash = await this.hasher.hash(input.newPassword);
    const ended = await this.outbox.transaction(async (tx) => {
      await this.users.setPasswordHash(userId, passwordHash, tx);
      const ended = await endSessionsOf(tx, this.tokens, userId, userId, 'password_changed');
      await recordEvent(tx, {
        type: 'auth.password_changed',
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
