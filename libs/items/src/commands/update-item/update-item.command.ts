import type { AuthUser, VersionPrecondition } from '@keel/core';
import { Command } from '@nestjs/cqrs';
import type { ItemResponseDto, UpdateItemDto } from '../../dto/item.dto';

export class UpdateItemCommand extends Command<ItemResponseDto> {
  constructor(
    readonly actor: AuthUser,
    readonly itemId: string,
    readonly changes: UpdateItemDto,
    /** From `If-Match`: the versions the client expects the item to be at. */
    readonly precondition: VersionPrecondition,
  ) {
    super();
  }
}
