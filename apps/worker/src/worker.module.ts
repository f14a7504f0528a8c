import { AuthMailModule } from '@keel/auth';
import {
  KeelCacheModule,
  KeelConfigModule,
  KeelLoggingModule,
  MetricsModule,
  RedisModule,
} from '@keel/core';
import { DatabaseModule } from '@keel/database';
import { EventsModule } from '@keel/events';
import { ItemsModule } from '@keel/items';
import { JobsModule } from '@keel/jobs';
import { UsersModule } from '@keel/users';
import { WebhooksModule } from '@keel/webhooks';
import { Module } from '@nestjs/common';
import { CqrsModule } from '@nestjs/cqrs';

/**
 * The worker's composition root: no HTTP server, the same feature modules as the API
 * (their controllers are inert here). It runs the job processors and the outbox relay.
 */
@Module({
  imports: [
    KeelConfigModule,
    KeelLoggingModule,
    MetricsModule,
    RedisModule,
    KeelCacheModule,
    DatabaseModule,
    CqrsModule.forRoot(),
    EventsModule,
    JobsModule,
    UsersModule,
    ItemsModule,
    AuthMailModule,
    WebhooksModule,
  ],
})
export class WorkerModule {}
