import {
  Global,
  Inject,
  Injectable,
  Logger,
  Module,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import cluster from 'node:cluster';
import type { Server } from 'node:http';
import { appConfig } from '../config/config.namespaces';
import { Metrics } from './metrics';
import { serveMetrics } from './metrics-server';

/**
 * Serves this process's metrics on METRICS_PORT. A cluster worker does not listen: its
 * primary serves the sum of its workers' figures on that port (main.ts).
 */
@Injectable()
class MetricsServer implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('Metrics');
  private server?: Server;

  constructor(
    private readonly metrics: Metrics,
    @Inject(appConfig.KEY) private readonly app: ConfigType<typeof appConfig>,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    if (this.app.metricsPort === 0 || cluster.isWorker) return;
    this.server = await serveMetrics(this.app.metricsPort, this.app.host, () => ({
      contentType: this.metrics.registry.contentType,
      body: this.metrics.registry.metrics(),
    }));
    this.logger.log(`metrics on port ${this.app.metricsPort} at /metrics`);
  }

  async onApplicationShutdown(): Promise<void> {
    const server = this.server;
    if (!server) return;
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
}

@Global()
@Module({ providers: [Metrics, MetricsServer], exports: [Metrics] })
export class MetricsModule {}
