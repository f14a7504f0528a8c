import {
  Injectable,
  Logger,
  Module,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { IdempotencyKey } from './idempotency-key.entity';
import { deleteExpiredIdempotencyKeys } from './idempotency';

const SWEEP_EVERY_MS = 60 * 60 * 1000;

/** Deletes expired idempotency keys hourly; harmless when several replicas do it. */
@Injectable()
class IdempotencySweeper implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(IdempotencySweeper.name);
  private timer?: NodeJS.Timeout;

  constructor(private readonly dataSource: DataSource) {}

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => {
      deleteExpiredIdempotencyKeys(this.dataSource.manager).catch((error: unknown) =>
        this.logger.warn({ err: error }, 'could not delete expired idempotency keys'),
      );
    }, SWEEP_EVERY_MS).unref();
  }

  onApplicationShutdown(): void {
    clearInterval(this.timer);
  }
}

@Module({
  imports: [TypeOrmModule.forFeature([IdempotencyKey])],
  providers: [IdempotencySweeper],
})
export class IdempotencyModule {}
