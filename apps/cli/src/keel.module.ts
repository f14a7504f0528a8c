import { AuthModule } from '@keel/auth';
import {
  KeelCacheModule,
  KeelConfigModule,
  MetricsModule,
  RateLimitModule,
  RedisModule,
} from '@keel/core';
import { DatabaseModule } from '@keel/database';
import { EventsModule } from '@keel/events';
import { ItemsModule } from '@keel/items';
import { JobsModule } from '@keel/jobs';
import { UsersModule } from '@keel/users';
import { Module } from '@nestjs/common';
import { CqrsModule } from '@nestjs/cqrs';

/** The database alone, for `keel migrate`: the API's connection and migrations. */
@Module({ imports: [KeelConfigModule, MetricsModule, DatabaseModule] })
export class KeelDatabaseModule {}

/**
 * The API's platform and feature modules without HTTP: commands go through the same
 * CommandBus handlers (events, caches, jobs) as requests do. Logging is the CLI's own
 * (stderr), not the API's JSON lines on stdout.
 */
@Module({
  imports: [
    KeelConfigModule,
    MetricsModule,
    RedisModule,
    RateLimitModule,
    KeelCacheModule,
    DatabaseModule,
    CqrsModule.forRoot(),
    EventsModule,
    JobsModule,
    UsersModule,
    AuthModule,
    ItemsModule,
  ],
})
export class KeelAppModule {}
