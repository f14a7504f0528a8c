export * from './egress';
export * from './webhooks.module';
export * from './entities/webhook.entity';
export * from './entities/webhook-delivery.entity';
export * from './entities/webhook-attempt.entity';
export * from './entities/webhook-dispatch-cursor.entity';
