import { DomainError } from '@keel/core';

export class UserNotFoundError extends DomainError {
  constructor() {
    super('not_found', 'USER.NOT_FOUND', 'No such user.');
  }
}

export class EmailTakenError extends DomainError {
  constructor() {
    super('conflict', 'USER.EMAIL_TAKEN', 'An account with this email already exists.');
  }
}

export class SelfLockoutError extends DomainError {
  constructor() {
    super(
      'conflict',
      'USER.SELF_LOCKOUT',
      'Admins cannot disable, demote or delete their own account.',
    );
  }
}

export class UserHasItemsError extends DomainError {
  constructor() {
    super(
      'conflict',
      'USER.HAS_ITEMS',
      'This user still owns items: delete them or have them deleted first.',
    );
  }
}
