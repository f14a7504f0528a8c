import type { WebhookAttempt } from '../entities/webhook-attempt.entity';
import type { WebhookDelivery } from '../entities/webhook-delivery.entity';
import type { Webhook } from '../entities/webhook.entity';
import type { AttemptDto, DeliveryDto, WebhookDto } from './webhook.dto';

export function mapWebhook(
  webhook: Webhook,
  breakerFailures: number,
  now = new Date(),
): WebhookDto {
  const tripped = webhook.consecutiveFailures >= breakerFailures;
  return {
    id: webhook.id,
    url: webhook.url,
    description: webhook.description,
    eventTypes: webhook.eventTypes,
    enabled: webhook.disabledAt === null,
    disabledAt: webhook.disabledAt?.toISOString() ?? null,
    disabledReason: webhook.disabledReason,
    circuit: !tripped
      ? 'closed'
      : webhook.circuitOpenUntil && webhook.circuitOpenUntil > now
        ? 'open'
        : 'half_open',
    consecutiveFailures: webhook.consecutiveFailures,
    previousSecretExpiresAt:
      webhook.previousSecretExpiresAt && webhook.previousSecretExpiresAt > now
        ? webhook.previousSecretExpiresAt.toISOString()
        : null,
    createdAt: webhook.createdAt.toISOString(),
    updatedAt: webhook.updatedAt.toISOString(),
  };
}

function mapAttempt(attempt: WebhookAttempt): AttemptDto {
  return {
    number: attempt.number,
    startedAt: attempt.startedAt.toISOString(),
    latencyMs: attempt.latencyMs,
    outcome: attempt.outcome,
    statusCode: attempt.statusCode,
    error: attempt.error,
    responsePrefix: attempt.responsePrefix,
  };
}

export function mapDelivery(delivery: WebhookDelivery, attempts: WebhookAttempt[]): DeliveryDto {
  return {
    id: delivery.id,
    eventId: delivery.eventId,
    eventType: delivery.eventType,
    aggregateId: delivery.aggregateId,
    state: delivery.state,
    nextAttemptAt: delivery.state === 'pending' ? delivery.nextAttemptAt.toISOString() : null,
    lastStatusCode: delivery.lastStatusCode,
    createdAt: delivery.createdAt.toISOString(),
    finishedAt: delivery.finishedAt?.toISOString() ?? null,
    attempts: attempts.map(mapAttempt),
  };
}
