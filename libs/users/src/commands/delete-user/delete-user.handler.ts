import { sqlStateOf } from '@keel/core';
import { CommandHandler, EventBus, type ICommandHandler } from '@nestjs/cqrs';
import { InjectRepository } from '@nestjs/typeorm';
import { Repository } from 'typeorm';
import { User } from '../../entities/user.entity';
import { UserAccessRevokedEvent } from '../../events/user-access-revoked.event';
import { SelfLockoutError, UserHasItemsError, UserNotFoundError } from '../../users.errors';
import { DeleteUserCommand } from './delete-user.command';

/** restrict_violation (ON DELETE RESTRICT) and foreign_key_violation (NO ACTION). */
const STILL_REFERENCED = new Set(['23001', '23503']);

@CommandHandler(DeleteUserCommand)
export class DeleteUserHandler implements ICommandHandler<DeleteUserCommand> {
  constructor(
    @InjectRepository(User) private readonly users: Repository<User>,
    private readonly eventBus: EventBus,
  ) {}

  async execute({ actorId, userId }: DeleteUserCommand): Promise<void> {
    if (actorId === userId) throw new SelfLockoutError();
    const result = await this.users.delete({ id: userId }).catch((error: unknown) => {
      // Items reference their owner with ON DELETE RESTRICT.
      throw STILL_REFERENCED.has(sqlStateOf(error) ?? '') ? new UserHasItemsError() : error;
    });
    if (!result.affected) throw new UserNotFoundError();
    this.eventBus.publish(new UserAccessRevokedEvent(userId, 'deleted'));
  }
}
