import type { ItemResponseDto } from '../dto/item.dto';

export class ItemCreatedEvent {
  constructor(
    readonly item: ItemResponseDto,
    readonly actorId: string,
  ) {}
}

export class ItemUpdatedEvent {
  constructor(
    readonly item: ItemResponseDto,
    readonly actorId: string,
    readonly changed: string[],
  ) {}
}

export class ItemDeletedEvent {
  constructor(
    readonly itemId: string,
    readonly actorId: string,
  ) {}
}
