import { appConfig, createHttpApp } from '@keel/core';
import type { ConfigType } from '@nestjs/config';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { Logger } from 'nestjs-pino';
import { setTimeout as sleep } from 'node:timers/promises';
import { AppModule } from './app.module';
import { ShutdownState } from './health/shutdown-state';

/** Builds and starts the API, and stops it cleanly on SIGTERM or SIGINT. */
export async function startApi(): Promise<NestFastifyApplication> {
  const app = await createHttpApp(AppModule);
  const config = app.get<ConfigType<typeof appConfig>>(appConfig.KEY);
  const logger = app.get(Logger);
  await app.listen({ port: config.port, host: config.host });
  logger.log(`Keel API listening on ${await app.getUrl()} (docs at /docs)`, 'Bootstrap');

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.log(`${signal} received: draining`, 'Shutdown');
    app.get(ShutdownState).begin();
    // Let the load balancer see readiness fail before the listener closes.
    await sleep(config.shutdownDelayMs);
    const forced = setTimeout(() => {
      logger.error('shutdown timed out; exiting', 'Shutdown');
      process.exit(1);
    }, config.shutdownTimeoutMs);
    forced.unref();
    // Stops accepting, waits for in-flight requests, then closes pools (module destroy hooks).
    await app.close();
    logger.log('stopped', 'Shutdown');
    process.exit(0);
  };
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.once(signal, () => void stop(signal));
  }
  return app;
}
