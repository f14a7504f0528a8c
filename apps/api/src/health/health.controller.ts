import { ApiProblems, Public, ResponseCache, ServiceUnavailableError } from '@keel/core';
import { EventTransport } from '@keel/events';
import { Controller, Get, ServiceUnavailableException, VERSION_NEUTRAL } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import {
  HealthCheck,
  HealthCheckService,
  HealthIndicatorService,
  TypeOrmHealthIndicator,
  type HealthCheckResult,
  type HealthIndicatorFunction,
} from '@nestjs/terminus';
import { RedisHealthIndicator } from './redis.health';
import { ShutdownState } from './shutdown-state';

const DB_PING_TIMEOUT_MS = 1_000;

@ApiTags('health')
@Public()
@Controller({ path: 'health', version: VERSION_NEUTRAL })
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly indicators: HealthIndicatorService,
    private readonly db: TypeOrmHealthIndicator,
    private readonly redis: RedisHealthIndicator,
    private readonly shutdown: ShutdownState,
    private readonly cache: ResponseCache,
    private readonly broker: EventTransport,
  ) {}

  @Get('live')
  // Terminus would document a 503 as application/json; with no checks, liveness never fails.
  @HealthCheck({ swaggerDocumentation: false })
  @ApiOperation({
    operationId: 'getLiveness',
    summary: 'Liveness: the process answers; checks nothing external',
  })
  @ApiOkResponse({ description: 'The process answers' })
  live(): Promise<HealthCheckResult> {
    return this.health.check([]);
  }

  @Get('ready')
  @ApiOperation({
    operationId: 'getReadiness',
    summary:
      'Readiness: the database answers and the process is not shutting down; the cache and Redis are reported, never failed',
  })
  @ApiOkResponse({
    description: 'Ready; `info` lists each dependency (a degraded cache is still ready)',
  })
  @ApiProblems(503)
  async ready(): Promise<HealthCheckResult> {
    const checks: HealthIndicatorFunction[] = [
      () => {
        const indicator = this.indicators.check('process');
        return this.shutdown.isShuttingDown
          ? indicator.down({ message: 'shutting down' })
          : indicator.up();
      },
      () => this.db.pingCheck('database', { timeout: DB_PING_TIMEOUT_MS }),
      () => this.redis.check('redis'),
      // The cache is never a reason to be unready: without Redis, reads go to the database.
      () =>
        this.indicators.check('cache').up({
          mode: this.cache.mode,
          ...(this.cache.degraded
            ? { degraded: true, message: 'Redis failed; reads are served from the database' }
            : {}),
        }),
      // Nor is the broker: writes go on into the outbox and are delivered when it returns.
      () =>
        this.indicators.check('broker').up({
          mode: this.broker.mode,
          ...(this.broker.connected
            ? {}
            : { degraded: true, message: 'RabbitMQ unreachable; events wait in the outbox' }),
        }),
    ];
    try {
      return await this.health.check(checks);
    } catch (error) {
      if (!(error instanceof ServiceUnavailableException)) throw error;
      const result = error.getResponse() as HealthCheckResult;
      const down = Object.entries(result.error ?? {}).map(
        ([name, detail]) => `${name}: ${String(detail?.message ?? 'down')}`,
      );
      throw new ServiceUnavailableError(`Not ready (${down.join('; ')}).`);
    }
  }
}
