import { DomainError } from '@keel/core';

export class SessionNotFoundError extends DomainError {
  constructor() {
    super('not_found', 'AUTH.SESSION_NOT_FOUND', 'You have no active session with this id.');
  }
}
