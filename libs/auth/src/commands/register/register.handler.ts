import { mapUser, UsersService, type UserResponseDto } from '@keel/users';
import { CommandHandler, EventBus, type ICommandHandler } from '@nestjs/cqrs';
import { UserRegisteredEvent } from '../../events/user-registered.event';
import { PasswordHasher } from '../../password-hasher';
import { RegisterCommand } from './register.command';

@CommandHandler(RegisterCommand)
export class RegisterHandler implements ICommandHandler<RegisterCommand> {
  constructor(
    private readonly users: UsersService,
    private readonly hasher: PasswordHasher,
    private readonly eventBus: EventBus,
  ) {}

  async execute({ input }: RegisterCommand): Promise<UserResponseDto> {
    const passwordHash = await this.hasher.hash(input.password);
    const user = await this.users.create({
      email: input.email,
      displayName: input.displayName,
      passwordHash,
    });
    this.eventBus.publish(new UserRegisteredEvent(user.id, user.email));
    return mapUser(user);
  }
}
