import { AuthModule } from '@keel/auth';
import {
  KeelCacheModule,
  KeelConfigModule,
  KeelLoggingModule,
  MetricsModule,
  RateLimitModule,
  RedisModule,
  RequestDeadlineInterceptor,
} from '@keel/core';
import { DatabaseModule } from '@keel/database';
import { EventsModule } from '@keel/events';
import { ItemsModule } from '@keel/items';
import { JobsModule } from '@keel/jobs';
import { UsersModule } from '@keel/users';
import { WebhooksModule } from '@keel/webhooks';
import { Module } from '@nestjs/common';
import { APP_INTERCEPTOR } from '@nestjs/core';
import { CqrsModule } from '@nestjs/cqrs';
import { HealthModule } from './health/health.module';

/** The API's composition root: platform modules first, then features. */
@Module({
  imports: [
    KeelConfigModule,
    KeelLoggingModule,
    MetricsModule,
    RedisModule,
    RateLimitModule,
    KeelCacheModule,
    DatabaseModule,
    CqrsModule.forRoot(),
    EventsModule,
    JobsModule,
    HealthModule,
    UsersModule,
    AuthModule,
    ItemsModule,
    WebhooksModule,
  ],
  providers: [{ provide: APP_INTERCEPTOR, useClass: RequestDeadlineInterceptor }],
})
export class AppModule {}
