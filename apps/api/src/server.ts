import { appConfig, closeOnSignals, createHttpApp, HttpDrain, reachableUrls } from '@keel/core';
import type { ConfigType } from '@nestjs/config';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { Logger } from 'nestjs-pino';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { AppModule } from './app.module';
import { ShutdownState } from './health/shutdown-state';

/**
 * Builds and starts the API. On SIGTERM or SIGINT: readiness fails and every response
 * closes its connection; after SHUTDOWN_DELAY_MS the listener closes, in-flight requests
 * finish, pools close, exit 0. SHUTDOWN_TIMEOUT_MS bounds all of it from the signal.
 */
export async function startApi(): Promise<NestFastifyApplication> {
  const app = await createHttpApp(AppModule);
  const config = app.get<ConfigType<typeof appConfig>>(appConfig.KEY);
  const logger = app.get(Logger);
  const drain = new HttpDrain(app.getHttpServer());
  await app.listen({ port: config.port, host: config.host });
  const { port } = app.getHttpServer().address() as AddressInfo;
  const [url, ...others] = reachableUrls(config.host, port);
  const where =
    others.length > 0 ? ` (all interfaces on ${config.host}: ${others.join(', ')})` : '';
  logger.log(`Keel API listening on ${url}${where}`, 'Bootstrap');
  logger.log(`Swagger UI at ${url}/docs, OpenAPI document at ${url}/docs-json`, 'Bootstrap');
  // Metrics have a port of their own (never the API's), on the same interfaces; served by
  // this process, or by the cluster primary for its workers (main.ts).
  logger.log(
    config.metricsPort > 0
      ? `Prometheus metrics at ${reachableUrls(config.host, config.metricsPort)[0]}/metrics`
      : 'Prometheus metrics off (METRICS_PORT=0)',
    'Bootstrap',
  );

  closeOnSignals(app, {
    logger,
    timeoutMs: config.shutdownTimeoutMs,
    beforeClose: async () => {
      app.get(ShutdownState).begin();
      drain.begin();
      // Let the load balancer see readiness fail before the listener closes.
      await sleep(config.shutdownDelayMs);
    },
  });
  return app;
}
