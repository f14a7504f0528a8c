import { DomainError } from '@keel/core';

/** Also the answer for someone else's item on update and delete: its existence is not confirmed. */
export class ItemNotFoundError extends DomainError {
  constructor() {
    super('not_found', 'ITEM.NOT_FOUND', 'No such item.');
  }
}
