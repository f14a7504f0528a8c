import { DomainError } from '@keel/core';

/** Also the answer for someone else's __singular_words__: its existence is not confirmed. */
export class __Singular__NotFoundError extends DomainError {
  constructor() {
    super('not_found', '__SINGULAR__.NOT_FOUND', 'You have no __singular_words__ with this id.');
  }
}
