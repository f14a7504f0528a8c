import { mapUser, UsersService, type UserResponseDto } from '@keel/users';
import { Outbox, recordEvent } from '@keel/events';
import { CommandHandler, EventBus, type ICommandHandler } from '@nestjs/cqrs';
import { UserRegisteredEvent } from '../../events/user-registered.event';
import { PasswordHasher } from '../../password-hasher';
import { RegisterCommand } from './register.command';

@CommandHandler(RegisterCommand)
export class RegisterHandler implements ICommandHandler<RegisterCommand> {
  constructor(
    private readonly users: UsersService,
    private readonly outbox: Outbox,
    private readonly hasher: PasswordHasher,
    private readonly eventBus: EventBus,
  ) {}

  async execute({ input }: RegisterCommand): Promise<UserResponseDto> {
    const passwordHash = await this.hasher.hash(input.password);
    const user = await this.outbox.transaction(async (tx) => {
      const created = await this.users.create(
        { email: input.email, displayName: input.displayName, passwordHash },
        tx,
      );
      await recordEvent(tx, {
        type: 'user.registered',
        aggregateType: 'user',
        aggregateId: created.id,
        actorId: created.id,
        data: { email: created.email, displayName: created.displayName },
      });
      return created;
    });
    this.eventBus.publish(new UserRegisteredEvent(user.id, user.email));
    return mapUser(user);
  }
}
