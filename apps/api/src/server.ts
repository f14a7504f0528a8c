import { appConfig, closeOnSignals, createHttpApp } from '@keel/core';
import type { ConfigType } from '@nestjs/config';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { Logger } from 'nestjs-pino';
import { setTimeout as sleep } from 'node:timers/promises';
import { AppModule } from './app.module';
import { ShutdownState } from './health/shutdown-state';

/**
 * Builds and starts the API. On SIGTERM or SIGINT: readiness fails, it waits
 * SHUTDOWN_DELAY_MS, stops accepting, finishes in-flight requests, closes pools, exits 0.
 */
export async function startApi(): Promise<NestFastifyApplication> {
  const app = await createHttpApp(AppModule);
  const config = app.get<ConfigType<typeof appConfig>>(appConfig.KEY);
  const logger = app.get(Logger);
  await app.listen({ port: config.port, host: config.host });
  logger.log(`Keel API listening on ${await app.getUrl()} (docs at /docs)`, 'Bootstrap');

  closeOnSignals(app, {
    logger,
    timeoutMs: config.shutdownTimeoutMs,
    beforeClose: async () => {
      app.get(ShutdownState).begin();
      // Let the load balancer see readiness fail before the listener closes.
      await sleep(config.shutdownDelayMs);
    },
  });
  return app;
}
