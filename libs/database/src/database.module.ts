import { Inject, Injectable, Module, type OnModuleInit } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { TypeOrmModule } from '@nestjs/typeorm';
import { appConfig, databaseConfig } from '@keel/core';
import { DataSource } from 'typeorm';
import { dataSourceOptions } from './data-source-options';
import { runMigrations } from './migrate';

@Injectable()
class MigrateOnStart implements OnModuleInit {
  constructor(
    private readonly dataSource: DataSource,
    @Inject(databaseConfig.KEY) private readonly database: ConfigType<typeof databaseConfig>,
  ) {}

  async onModuleInit(): Promise<void> {
    if (this.database.runMigrations) await runMigrations(this.dataSource);
  }
}

/** The database connection for both profiles; migrations run at start unless RUN_MIGRATIONS=false. */
@Module({
  imports: [
    TypeOrmModule.forRootAsync({
      inject: [appConfig.KEY, databaseConfig.KEY],
      useFactory: (
        app: ConfigType<typeof appConfig>,
        database: ConfigType<typeof databaseConfig>,
      ) => ({
        ...dataSourceOptions({ app, database }, []),
        autoLoadEntities: true,
        // Retry the first connection, so a replica outlives a slow Postgres start.
        retryAttempts: database.url ? 10 : 0,
        retryDelay: 1_000,
      }),
    }),
  ],
  providers: [MigrateOnStart],
})
export class DatabaseModule {}
