import { CommandHandler, EventBus, type ICommandHandler } from '@nestjs/cqrs';
import { InjectRepository } from '@nestjs/typeorm';
import { Repository } from 'typeorm';
import { mapUser, type UserResponseDto } from '../../dto/user-response.dto';
import { User } from '../../entities/user.entity';
import { UserAccessRevokedEvent } from '../../events/user-access-revoked.event';
import { SelfLockoutError, UserNotFoundError } from '../../users.errors';
import { UpdateUserCommand } from './update-user.command';

@CommandHandler(UpdateUserCommand)
export class UpdateUserHandler implements ICommandHandler<UpdateUserCommand> {
  constructor(
    @InjectRepository(User) private readonly users: Repository<User>,
    private readonly eventBus: EventBus,
  ) {}

  async execute({ actorId, userId, changes }: UpdateUserCommand): Promise<UserResponseDto> {
    // Only admins reach this with roles or disabled; locking themselves out is refused.
    if (
      actorId === userId &&
      (changes.disabled === true || (changes.roles && !changes.roles.includes('admin')))
    ) {
      throw new SelfLockoutError();
    }
    const user = await this.users.manager.transaction(async (tx) => {
      const current = await tx.findOne(User, {
        where: { id: userId },
        lock: { mode: 'pessimistic_write' },
      });
      if (!current) throw new UserNotFoundError();
      const update: Partial<User> = {};
      if (changes.displayName !== undefined) update.displayName = changes.displayName.trim();
      if (changes.roles !== undefined) update.roles = changes.roles;
      if (changes.disabled !== undefined) update.disabled = changes.disabled;
      if (Object.keys(update).length > 0) {
        await tx.update(User, { id: userId }, { ...update, version: current.version + 1 });
      }
      return tx.findOneByOrFail(User, { id: userId });
    });
    if (changes.disabled === true)
      this.eventBus.publish(new UserAccessRevokedEvent(userId, 'disabled'));
    return mapUser(user);
  }
}
