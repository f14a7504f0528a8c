import { CommandHandler, EventBus, type ICommandHandler } from '@nestjs/cqrs';
import { InjectRepository } from '@nestjs/typeorm';
import { Repository } from 'typeorm';
import { User } from '../../entities/user.entity';
import { UserAccessRevokedEvent } from '../../events/user-access-revoked.event';
import { SelfLockoutError, UserNotFoundError } from '../../users.errors';
import { DeleteUserCommand } from './delete-user.command';

@CommandHandler(DeleteUserCommand)
export class DeleteUserHandler implements ICommandHandler<DeleteUserCommand> {
  constructor(
    @InjectRepository(User) private readonly users: Repository<User>,
    private readonly eventBus: EventBus,
  ) {}

  async execute({ actorId, userId }: DeleteUserCommand): Promise<void> {
    if (actorId === userId) throw new SelfLockoutError();
    const result = await this.users.delete({ id: userId });
    if (!result.affected) throw new UserNotFoundError();
    this.eventBus.publish(new UserAccessRevokedEvent(userId, 'deleted'));
  }
}
