import { Global, Inject, Injectable, Module, type OnModuleInit } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { TypeOrmModule } from '@nestjs/typeorm';
import { appConfig, databaseConfig, Metrics } from '@keel/core';
import { DataSource } from 'typeorm';
import { dataSourceOptions } from './data-source-options';
import { EmbeddedDatabase, EmbeddedDatabaseModule } from './embedded-database';
import { runMigrations } from './migrate';
import { measurePool } from './pool-metrics';
import { Sql } from './sql';
import { closeStuckConnections } from './stuck-connections';

@Injectable()
class PrepareOnStart implements OnModuleInit {
  constructor(
    private readonly dataSource: DataSource,
    @Inject(databaseConfig.KEY) private readonly database: ConfigType<typeof databaseConfig>,
    private readonly metrics: Metrics,
    @Inject(appConfig.KEY) private readonly app: ConfigType<typeof appConfig>,
  ) {}

  async onModuleInit(): Promise<void> {
    closeStuckConnections(this.dataSource);
    if (this.app.metricsPort > 0) measurePool(this.dataSource, this.metrics);
    if (this.database.runMigrations) await runMigrations(this.dataSource);
  }
}

/** Tries to reach Postgres at start, one second apart, so a replica outlives a slow Postgres start. */
export const DATABASE_START_ATTEMPTS = 10;

/**
 * The database connection for both profiles; migrations run at start unless RUN_MIGRATIONS=false.
 * Global, like TypeORM's DataSource: every feature may use `Sql` for its hot paths.
 */
@Global()
@Module({
  imports: [
    TypeOrmModule.forRootAsync({
      imports: [EmbeddedDatabaseModule],
      inject: [databaseConfig.KEY, EmbeddedDatabase],
      useFactory: async (
        database: ConfigType<typeof databaseConfig>,
        embedded: EmbeddedDatabase,
      ) => ({
        ...dataSourceOptions(database, await embedded.url(), []),
        autoLoadEntities: true,
        // The embedded server has answered once started; retrying would only delay the error.
        retryAttempts: database.url ? DATABASE_START_ATTEMPTS : 0,
        retryDelay: 1_000,
      }),
    }),
  ],
  providers: [PrepareOnStart, Sql],
  exports: [Sql],
})
export class DatabaseModule {}
