import { jobsConfig, Metrics, redisConfig, webhooksConfig, type WebhookStats } from '@keel/core';
import { EventDispatcher } from '@keel/events';
import {
  Inject,
  Injectable,
  Logger,
  Module,
  type BeforeApplicationShutdown,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { TypeOrmModule } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { CreateWebhookHandler } from './commands/create-webhook/create-webhook.handler';
import { DeleteWebhookHandler } from './commands/delete-webhook/delete-webhook.handler';
import { PingWebhookHandler } from './commands/ping-webhook/ping-webhook.handler';
import { RedeliverWebhookDeliveryHandler } from './commands/redeliver-webhook-delivery/redeliver-webhook-delivery.handler';
import { RotateWebhookSecretHandler } from './commands/rotate-webhook-secret/rotate-webhook-secret.handler';
import { UpdateWebhookHandler } from './commands/update-webhook/update-webhook.handler';
import { BullMqDeliveryQueue } from './delivery/bullmq-delivery-queue';
import { DeliveryQueue } from './delivery/delivery-queue';
import { DeliveryRunner } from './delivery/delivery-runner';
import { InProcessDeliveryQueue } from './delivery/in-process-delivery-queue';
import { WebhookFanOut } from './delivery/webhook-fan-out';
import { WebhookEgress, type EgressPolicy } from './egress';
import { EGRESS_POLICY, egressPolicyProvider } from './egress-policy';
import { WebhookAttempt } from './entities/webhook-attempt.entity';
import { WebhookDelivery } from './entities/webhook-delivery.entity';
import { WebhookDispatchCursor } from './entities/webhook-dispatch-cursor.entity';
import { Webhook } from './entities/webhook.entity';
import { GetWebhookHandler } from './queries/get-webhook/get-webhook.handler';
import { ListWebhookDeliveriesHandler } from './queries/list-webhook-deliveries/list-webhook-deliveries.handler';
import { ListWebhooksHandler } from './queries/list-webhooks/list-webhooks.handler';
import { WebhookSecrets } from './webhook-secrets';
import { WebhooksController } from './webhooks.controller';

/**
 * Where `RUN_WORKERS` is on: the fan-out from the outbox (woken by every event this process
 * sees, and by a poll), the reconciler that queues what a queue lost, and the senders.
 */
/** How long the fan-out waits after an event for more to read in the same batch. */
const FAN_OUT_DELAY_MS = 50;

@Injectable()
class WebhookWorkers
  implements OnApplicationBootstrap, BeforeApplicationShutdown, OnApplicationShutdown
{
  private readonly logger = new Logger('Webhooks');
  private timer?: NodeJS.Timeout;
  /** The fan-out an event has asked for, not yet run. */
  private soon?: NodeJS.Timeout;
  private unsubscribe?: () => void;
  private stopped = false;

  constructor(
    private readonly dataSource: DataSource,
    private readonly fanOut: WebhookFanOut,
    private readonly runner: DeliveryRunner,
    private readonly queue: DeliveryQueue,
    private readonly egress: WebhookEgress,
    private readonly dispatcher: EventDispatcher,
    private readonly metrics: Metrics,
    @Inject(jobsConfig.KEY) private readonly jobs: ConfigType<typeof jobsConfig>,
    @Inject(webhooksConfig.KEY) private readonly cfg: ConfigType<typeof webhooksConfig>,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    if (!this.jobs.runWorkers) return;
    await this.queue.start();
    this.metrics.watchWebhooks(() => this.stats());
    const wake = () => {
      if (this.stopped) return;
      void this.fanOut.wake((created) => void this.queue.enqueue(created));
    };
    // Events wake the fan-out after a short wait, so a burst is read in one batch: woken per
    // event, it ran back to back under load (a transaction each), costing creates a third.
    this.unsubscribe = this.dispatcher.subscribe(() => {
      this.soon ??= setTimeout(() => {
        this.soon = undefined;
        wake();
      }, FAN_OUT_DELAY_MS).unref();
    });
    let round = 0;
    this.timer = setInterval(() => {
      wake();
      // The reconciler, less often than the fan-out: a queue rarely loses anything.
      if (round++ % 5 === 0) void this.reconcile();
    }, this.cfg.pollMs).unref();
    wake();
    void this.reconcile();
  }

  private async reconcile(): Promise<void> {
    try {
      await this.queue.enqueue(await this.runner.due());
    } catch (error) {
      this.logger.warn({ err: error }, 'webhook reconciliation failed');
    }
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.stopped = true;
    this.unsubscribe?.();
    clearInterval(this.timer);
    clearTimeout(this.soon);
    await this.queue.stop();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.egress.close();
  }

  private async stats(): Promise<WebhookStats> {
    const [backlog] = await this.dataSource.query<Array<{ pending: number; age: number | null }>>(
      `SELECT count(*)::int AS pending,
         EXTRACT(EPOCH FROM now() - min(created_at))::float8 AS age
       FROM webhook_deliveries WHERE state IN ('pending', 'sending')`,
    );
    const [endpoints] = await this.dataSource.query<
      Array<{ closed: number; open: number; half_open: number; disabled: number }>
    >(
      `SELECT
         count(*) FILTER (WHERE disabled_at IS NULL AND consecutive_failures < $1)::int AS closed,
         count(*) FILTER (WHERE disabled_at IS NULL AND consecutive_failures >= $1
           AND circuit_open_until > now())::int AS open,
         count(*) FILTER (WHERE disabled_at IS NULL AND consecutive_failures >= $1
           AND (circuit_open_until IS NULL OR circuit_open_until <= now()))::int AS half_open,
         count(*) FILTER (WHERE disabled_at IS NOT NULL)::int AS disabled
       FROM webhooks`,
      [this.cfg.breakerFailures],
    );
    return {
      pending: backlog.pending,
      oldestAgeSeconds: Math.max(0, backlog.age ?? 0),
      endpoints,
    };
  }
}

/**
 * Outbound webhooks: the endpoints API, Standard Webhooks signing, the fan-out from the
 * outbox and the delivery queue (BullMQ queue `webhooks` with REDIS_URL, else in-process).
 */
@Module({
  imports: [
    TypeOrmModule.forFeature([Webhook, WebhookDelivery, WebhookAttempt, WebhookDispatchCursor]),
  ],
  controllers: [WebhooksController],
  providers: [
    egressPolicyProvider,
    {
      provide: WebhookEgress,
      inject: [EGRESS_POLICY],
      useFactory: (policy: EgressPolicy) => new WebhookEgress(policy),
    },
    WebhookSecrets,
    DeliveryRunner,
    WebhookFanOut,
    {
      provide: DeliveryQueue,
      inject: [DeliveryRunner, webhooksConfig.KEY, redisConfig.KEY, Metrics],
      useFactory: (
        runner: DeliveryRunner,
        cfg: ConfigType<typeof webhooksConfig>,
        redis: ConfigType<typeof redisConfig>,
        metrics: Metrics,
      ): DeliveryQueue => {
        if (!redis.url) return new InProcessDeliveryQueue(runner, cfg.concurrency);
        const queue = new BullMqDeliveryQueue(runner, {
          redisUrl: redis.url,
          prefix: redis.keyPrefix,
          concurrency: cfg.concurrency,
          lockMs: cfg.timeoutMs + 30_000,
        });
        metrics.watchBreaker('webhook_queue', queue.policy);
        return queue;
      },
    },
    WebhookWorkers,
    CreateWebhookHandler,
    UpdateWebhookHandler,
    DeleteWebhookHandler,
    RotateWebhookSecretHandler,
    RedeliverWebhookDeliveryHandler,
    PingWebhookHandler,
    ListWebhooksHandler,
    GetWebhookHandler,
    ListWebhookDeliveriesHandler,
  ],
})
export class WebhooksModule {}
