import type { AuthUser } from '@keel/core';
import { Command } from '@nestjs/cqrs';
import type { CreateItemDto, ItemResponseDto } from '../../dto/item.dto';

export interface CreateItemResult {
  item: ItemResponseDto;
  /** True when an earlier request with the same Idempotency-Key created the item. */
  replayed: boolean;
}

export class CreateItemCommand extends Command<CreateItemResult> {
  constructor(
    readonly actor: AuthUser,
    readonly input: CreateItemDto,
    readonly idempotencyKey?: string,
  ) {
    super();
  }
}
