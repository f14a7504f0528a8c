import { ResponseCache } from '@keel/core';
import { EventDispatcher } from '@keel/events';
import { Injectable, type OnModuleInit } from '@nestjs/common';
import { ITEMS_LIST_TAG, itemTag } from './items.cache';

/**
 * Every instance receives every item event (its own broker queue) and drops its local
 * cache entries for that item, and lists after an import batch: a second path next to the
 * Redis invalidation message.
 */
@Injectable()
export class ItemsCacheListener implements OnModuleInit {
  constructor(
    private readonly dispatcher: EventDispatcher,
    private readonly cache: ResponseCache,
  ) {}

  onModuleInit(): void {
    this.dispatcher.subscribe((event) => {
      if (event.aggregateType === 'item') {
        this.cache.forgetLocal([itemTag(event.aggregateId), ITEMS_LIST_TAG]);
      } else if (event.type === 'item.imported') {
        // New items only: no entry of a single item can hold them yet, lists can.
        this.cache.forgetLocal([ITEMS_LIST_TAG]);
      }
    });
  }
}
