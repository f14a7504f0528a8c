import type { AuthUser } from '@keel/core';
import type { EntityManager } from 'typeorm';
import { Item } from '../entities/item.entity';
import { ItemNotFoundError } from '../items.errors';

/**
 * Locks the item for the rest of the transaction. Only its owner or an admin may change it;
 * to anyone else it does not exist (404, not 403).
 */
export async function findItemToModify(
  tx: EntityManager,
  actor: AuthUser,
  itemId: string,
): Promise<Item> {
  const item = await tx.findOne(Item, {
    where: { id: itemId },
    lock: { mode: 'pessimistic_write' },
  });
  if (!item || (item.ownerId !== actor.id && !actor.roles.includes('admin'))) {
    throw new ItemNotFoundError();
  }
  return item;
}
