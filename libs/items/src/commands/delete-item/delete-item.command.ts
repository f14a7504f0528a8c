import type { AuthUser, VersionPrecondition } from '@keel/core';
import { Command } from '@nestjs/cqrs';

export class DeleteItemCommand extends Command<void> {
  constructor(
    readonly actor: AuthUser,
    readonly itemId: string,
    readonly precondition: VersionPrecondition,
  ) {
    super();
  }
}
