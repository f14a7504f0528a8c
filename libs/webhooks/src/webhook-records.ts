import { recordEvent } from '@keel/events';
import type { EntityManager } from 'typeorm';
import { Webhook } from './entities/webhook.entity';
import { WebhookNotFoundError } from './webhooks.errors';

/** The user's webhook, locked for the rest of the transaction; 404 when it is not theirs. */
export async function lockOwnWebhook(
  tx: EntityManager,
  ownerId: string,
  id: string,
): Promise<Webhook> {
  const webhook = await tx
    .createQueryBuilder(Webhook, 'w')
    .where('w.id = :id AND w.owner_id = :ownerId', { id, ownerId })
    .setLock('pessimistic_write')
    .getOne();
  if (!webhook) throw new WebhookNotFoundError();
  return webhook;
}

/** Records `webhook.<what>` with the owner as the actor, so the owner's event stream shows it. Never a secret. */
export function recordWebhookEvent(
  tx: EntityManager,
  webhook: Pick<Webhook, 'id' | 'ownerId' | 'url' | 'eventTypes'>,
  type: string,
  extra: Record<string, unknown> = {},
): Promise<void> {
  return recordEvent(tx, {
    type,
    aggregateType: 'webhook',
    aggregateId: webhook.id,
    actorId: webhook.ownerId,
    data: { webhookId: webhook.id, url: webhook.url, eventTypes: webhook.eventTypes, ...extra },
  });
}
