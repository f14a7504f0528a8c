import { ApiKey, AuthToken, RefreshToken, Session } from '@keel/auth';
import { IdempotencyKey } from '@keel/database';
import { OutboxEvent } from '@keel/events';
import { Item } from '@keel/items';
import { Job } from '@keel/jobs';
import { User } from '@keel/users';
import { Webhook, WebhookAttempt, WebhookDelivery, WebhookDispatchCursor } from '@keel/webhooks';

/** Every entity, for the TypeORM CLI and the schema test (the app loads them per feature module). */
export const entities = [
  User,
  RefreshToken,
  Session,
  ApiKey,
  AuthToken,
  Item,
  IdempotencyKey,
  OutboxEvent,
  Job,
  Webhook,
  WebhookDelivery,
  WebhookAttempt,
  WebhookDispatchCursor,
];
