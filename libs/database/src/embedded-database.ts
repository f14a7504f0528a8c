import { Inject, Injectable, Logger, Module, type OnApplicationShutdown } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { appConfig, databaseConfig } from '@keel/core';
import { EmbeddedPostgres } from './embedded-postgres';

/**
 * Where the database is: DATABASE_URL, or else the embedded server in DATA_DIR, which
 * this starts on first use and stops when the application shuts down (SIGTERM, SIGINT,
 * app.close()). Its module sits below TypeORM's, so its shutdown hook runs after the
 * pool has closed.
 */
@Injectable()
export class EmbeddedDatabase implements OnApplicationShutdown {
  private server: EmbeddedPostgres | undefined;

  constructor(
    @Inject(appConfig.KEY) private readonly app: ConfigType<typeof appConfig>,
    @Inject(databaseConfig.KEY) private readonly database: ConfigType<typeof databaseConfig>,
  ) {}

  async url(): Promise<string> {
    if (this.database.url !== undefined) return this.database.url;
    const logger = new Logger('EmbeddedPostgres');
    this.server ??= new EmbeddedPostgres(this.app.dataDir, {
      maxConnections: this.database.poolSize + 10,
      log: (message) => logger.log(message),
      warn: (message) => logger.warn(message),
    });
    return this.server.start();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.server?.stop();
  }
}

@Module({ providers: [EmbeddedDatabase], exports: [EmbeddedDatabase] })
export class EmbeddedDatabaseModule {}
