import { Outbox, recordEvent } from '@keel/events';
import { CommandHandler, EventBus, type ICommandHandler } from '@nestjs/cqrs';
import { mapUser, type UserResponseDto } from '../../dto/user-response.dto';
import { User } from '../../entities/user.entity';
import { UserStatusCache } from '../../user-status.cache';
import { UserAccessRevokedEvent } from '../../events/user-access-revoked.event';
import { SelfLockoutError, UserNotFoundError } from '../../users.errors';
import { UpdateUserCommand } from './update-user.command';

@CommandHandler(UpdateUserCommand)
export class UpdateUserHandler implements ICommandHandler<UpdateUserCommand> {
  constructor(
    private readonly eventBus: EventBus,
    private readonly outbox: Outbox,
    private readonly status: UserStatusCache,
  ) {}

  async execute({ actorId, userId, changes }: UpdateUserCommand): Promise<UserResponseDto> {
    // Only admins reach this with roles or disabled; locking themselves out is refused.
    if (
      actorId === userId &&
      (changes.disabled === true || (changes.roles && !changes.roles.includes('admin')))
    ) {
      throw new SelfLockoutError();
    }
    const { user, accessChanged } = await this.outbox.transaction(async (tx) => {
      const current = await tx.findOne(User, {
        where: { id: userId },
        lock: { mode: 'pessimistic_write' },
      });
      if (!current) throw new UserNotFoundError();
      const update: Partial<User> = {};
      if (changes.displayName !== undefined) update.displayName = changes.displayName.trim();
      if (changes.roles !== undefined) update.roles = changes.roles;
      if (changes.disabled !== undefined) update.disabled = changes.disabled;
      // Roles and the disabled flag are security changes: named as such in the audit log, and
      // what the access check caches (UserStatusCache).
      const accessChanged = update.roles !== undefined || update.disabled !== undefined;
      if (Object.keys(update).length > 0) {
        await tx.update(User, { id: userId }, { ...update, version: current.version + 1 });
        await recordEvent(tx, {
          type: accessChanged ? 'user.access_changed' : 'user.updated',
          aggregateType: 'user',
          aggregateId: userId,
          actorId,
          data: { ...update },
        });
      }
      return { user: await tx.findOneByOrFail(User, { id: userId }), accessChanged };
    });
    if (accessChanged) {
      this.status.forget(userId);
      if (changes.disabled === true)
        this.eventBus.publish(new UserAccessRevokedEvent(userId, 'disabled'));
      // Answers once no replica can still hold the old status.
      await this.status.settled();
    }
    return mapUser(user);
  }
}
