import { UsersService } from '@keel/users';
import { Outbox, recordEvent } from '@keel/events';
import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { InvalidCredentialsError } from '../../auth.errors';
import { PasswordHasher } from '../../password-hasher';
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
  ) {}

  async execute({ userId, input }: ChangePasswordCommand): Promise<void> {
    const user = await this.users.findWithPassword({ id: userId });
    if (!user || !(await this.hasher.verify(user.passwordHash, input.currentPassword))) {
      throw new InvalidCredentialsError();
    }
    const passwordHash = await this.hasher.hash(input.newPassword);
    await this.outbox.transaction(async (tx) => {
      await this.users.setPasswordHash(userId, passwordHash, tx);
      await this.tokens.revokeAllForUser(tx, userId);
      await recordEvent(tx, {
        type: 'auth.password_changed',
        aggregateType: 'user',
        aggregateId: userId,
        actorId: userId,
        data: {},
      });
    });
  }
}
