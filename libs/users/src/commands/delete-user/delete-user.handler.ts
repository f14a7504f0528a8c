import { sqlStateOf } from '@keel/core';
import { Outbox, recordEvent } from '@keel/events';
import { CommandHandler, EventBus, type ICommandHandler } from '@nestjs/cqrs';
import { User } from '../../entities/user.entity';
import { UserStatusCache } from '../../user-status.cache';
import { UserAccessRevokedEvent } from '../../events/user-access-revoked.event';
import { SelfLockoutError, UserHasItemsError, UserNotFoundError } from '../../users.errors';
import { DeleteUserCommand } from './delete-user.command';

/** restrict_violation (ON DELETE RESTRICT) and foreign_key_violation (NO ACTION). */
const STILL_REFERENCED = new Set(['23001', '23503']);

@CommandHandler(DeleteUserCommand)
export class DeleteUserHandler implements ICommandHandler<DeleteUserCommand> {
  constructor(
    private readonly eventBus: EventBus,
    private readonly outbox: Outbox,
    private readonly status: UserStatusCache,
  ) {}

  async execute({ actorId, userId }: DeleteUserCommand): Promise<void> {
    if (actorId === userId) throw new SelfLockoutError();
    await this.outbox.transaction(async (tx) => {
      const result = await tx.delete(User, { id: userId }).catch((error: unknown) => {
        // Items reference their owner with ON DELETE RESTRICT.
        throw STILL_REFERENCED.has(sqlStateOf(error) ?? '') ? new UserHasItemsError() : error;
      });
      if (!result.affected) throw new UserNotFoundError();
      await recordEvent(tx, {
        type: 'user.deleted',
        aggregateType: 'user',
        aggregateId: userId,
        actorId,
        data: {},
      });
    });
    this.status.forget(userId);
    this.eventBus.publish(new UserAccessRevokedEvent(userId, 'deleted'));
    // Answers once no replica can still hold the old status.
    await this.status.settled();
  }
}
