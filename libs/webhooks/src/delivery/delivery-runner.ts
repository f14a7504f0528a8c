import { Metrics, webhooksConfig } from '@keel/core';
import { recordEvent } from '@keel/events';
import { Inject, Injectable, Logger } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { DataSource, type EntityManager } from 'typeorm';
import { EgressError, WebhookEgress } from '../egress';
import type { AttemptOutcome } from '../entities/webhook-attempt.entity';
import { WebhookAttempt } from '../entities/webhook-attempt.entity';
import { WebhookDelivery } from '../entities/webhook-delivery.entity';
import { Webhook } from '../entities/webhook.entity';
import { signedHeaders } from '../signing';
import { WebhookSecrets } from '../webhook-secrets';
import type { QueuedDelivery } from './delivery-queue';

/** Extra time a claim lasts beyond one attempt's timeout, before another runner may take it. */
const LEASE_MARGIN_MS = 10_000;
const ERROR_LENGTH = 500;

/** A claimed delivery, ready to send. */
interface Claim {
  delivery: WebhookDelivery;
  webhook: Webhook;
  /** This run's attempt number: it fences the result against a runner that took over. */
  attempt: number;
}

type ClaimResult = { claim: Claim } | { later: QueuedDelivery[] };

/** A waiting delivery: not claimed, or claimed by a runner whose lease ran out. */
const WAITING = `(d.state = 'pending' OR (d.state = 'sending' AND d.lease_until < now()))`;
/** No earlier delivery of the same aggregate to the same endpoint is still unfinished. */
const FIRST_OF_AGGREGATE = `NOT EXISTS (
  SELECT 1 FROM webhook_deliveries e
  WHERE e.webhook_id = d.webhook_id AND e.aggregate_id = d.aggregate_id
    AND e.seq < d.seq AND e.state IN ('pending', 'sending'))`;

/**
 * Runs one delivery, whichever queue asked: claims it under its endpoint's row lock (so the
 * breaker, the per-endpoint limit and the per-aggregate order are checked by one runner at a
 * time in the whole cluster), sends it with no transaction open, and records the attempt.
 * Returns what to queue next: its own retry, and the endpoint's deliveries that may now go.
 */
@Injectable()
export class DeliveryRunner {
  private readonly logger = new Logger(DeliveryRunner.name);

  constructor(
    private readonly dataSource: DataSource,
    private readonly egress: WebhookEgress,
    private readonly secrets: WebhookSecrets,
    private readonly metrics: Metrics,
    @Inject(webhooksConfig.KEY) private readonly cfg: ConfigType<typeof webhooksConfig>,
  ) {}

  async run(id: string, signal?: AbortSignal): Promise<QueuedDelivery[]> {
    const claimed = await this.dataSource.transaction((tx) => this.claim(tx, id));
    if ('later' in claimed) return claimed.later;
    const { delivery, webhook, attempt } = claimed.claim;
    const body = JSON.stringify(delivery.payload);
    const startedAt = new Date();
    let outcome: AttemptOutcome;
    let statusCode: number | null = null;
    let latencyMs: number;
    let error: string | null = null;
    let responsePrefix: string | null = null;
    try {
      const result = await this.egress.send({
        url: webhook.url,
        headers: {
          'content-type': 'application/json',
          'user-agent': 'Keel-Webhooks/1',
          ...signedHeaders(
            delivery.id,
            Math.floor(startedAt.getTime() / 1000),
            body,
            this.secrets.signingSecrets(webhook, startedAt),
          ),
        },
        body,
        connectTimeoutMs: this.cfg.connectTimeoutMs,
        totalTimeoutMs: this.cfg.timeoutMs,
        maxResponseBytes: this.cfg.maxResponseBytes,
        signal,
      });
      statusCode = result.status;
      latencyMs = result.latencyMs;
      responsePrefix = result.responseBodyPrefix;
      outcome = result.status >= 200 && result.status < 300 ? 'success' : 'http_error';
    } catch (cause) {
      const egressError = cause instanceof EgressError ? cause : undefined;
      latencyMs = egressError?.latencyMs ?? Date.now() - startedAt.getTime();
      outcome = egressKindOutcome(egressError?.kind);
      error = (cause instanceof Error ? cause.message : String(cause)).slice(0, ERROR_LENGTH);
    }
    this.metrics.webhookAttempts.inc({ outcome });
    this.metrics.webhookAttemptDuration.observe(latencyMs / 1000);
    return this.dataSource.transaction((tx) =>
      this.record(tx, claimed.claim, attempt, {
        startedAt,
        latencyMs: Math.round(latencyMs),
        outcome,
        statusCode,
        error,
        responsePrefix,
      }),
    );
  }

  private async claim(tx: EntityManager, id: string): Promise<ClaimResult> {
    const found = await tx.findOne(WebhookDelivery, {
      where: { id },
      select: { seq: true, webhookId: true },
    });
    if (!found) return { later: [] };
    // Endpoint first, then delivery: every path locks in this order.
    const webhook = await tx
      .createQueryBuilder(Webhook, 'w')
      .where('w.id = :id', { id: found.webhookId })
      .setLock('pessimistic_write')
      .getOne();
    const delivery = await tx
      .createQueryBuilder(WebhookDelivery, 'd')
      .where('d.seq = :seq', { seq: found.seq })
      .setLock('pessimistic_write')
      .getOne();
    if (!webhook || !delivery || webhook.disabledAt) return { later: [] };
    const [{ now }] = await tx.query<Array<{ now: Date }>>('SELECT now() AS now');
    if (delivery.state === 'pending' && delivery.nextAttemptAt > now) {
      const delayMs = delivery.nextAttemptAt.getTime() - now.getTime();
      return { later: [{ id, attempts: delivery.attempts, delayMs }] };
    }
    const abandoned = delivery.state === 'sending' && (delivery.leaseUntil ?? now) < now;
    if (delivery.state !== 'pending' && !abandoned) return { later: [] };

    const [{ inflight, earlier }] = await tx.query<Array<{ inflight: number; earlier: boolean }>>(
      `SELECT
         (SELECT count(*)::int FROM webhook_deliveries
           WHERE webhook_id = $1 AND state = 'sending' AND lease_until >= now() AND seq <> $2) AS inflight,
         EXISTS (SELECT 1 FROM webhook_deliveries
           WHERE webhook_id = $1 AND aggregate_id = $3 AND seq < $2 AND state IN ('pending', 'sending')) AS earlier`,
      [webhook.id, delivery.seq, delivery.aggregateId],
    );
    // Whatever holds it back ends with a run on this endpoint, which queues it again; a
    // circuit whose wait is over is found by the reconciler.
    if (earlier || inflight >= this.cfg.endpointConcurrency) return { later: [] };
    const tripped = webhook.consecutiveFailures >= this.cfg.breakerFailures;
    if (tripped) {
      if (webhook.circuitOpenUntil && webhook.circuitOpenUntil > now) return { later: [] };
      // Half-open: this delivery is the one probe; the others wait until it has answered.
      if (inflight > 0) return { later: [] };
      await tx.update(
        Webhook,
        { id: webhook.id },
        {
          circuitOpenUntil: new Date(now.getTime() + this.cfg.breakerCooldownMs),
        },
      );
    }
    const attempt = delivery.attempts + 1;
    await tx.update(
      WebhookDelivery,
      { seq: delivery.seq },
      {
        state: 'sending',
        attempts: attempt,
        leaseUntil: new Date(now.getTime() + this.cfg.timeoutMs + LEASE_MARGIN_MS),
      },
    );
    return { claim: { delivery, webhook, attempt } };
  }

  private async record(
    tx: EntityManager,
    claim: Claim,
    attempt: number,
    result: Omit<WebhookAttempt, 'id' | 'deliverySeq' | 'number' | 'delivery'>,
  ): Promise<QueuedDelivery[]> {
    const { delivery } = claim;
    const webhook = await tx
      .createQueryBuilder(Webhook, 'w')
      .where('w.id = :id', { id: claim.webhook.id })
      .setLock('pessimistic_write')
      .getOne();
    const current = await tx
      .createQueryBuilder(WebhookDelivery, 'd')
      .where('d.seq = :seq', { seq: delivery.seq })
      .setLock('pessimistic_write')
      .getOne();
    if (!webhook || !current) return [];
    await tx.insert(WebhookAttempt, { deliverySeq: delivery.seq, number: attempt, ...result });
    // Another runner took the delivery over (this one outlived its lease): its run decides.
    if (current.state !== 'sending' || current.attempts !== attempt) return [];

    const [{ now }] = await tx.query<Array<{ now: Date }>>('SELECT now() AS now');
    const next: QueuedDelivery[] = [];
    if (result.outcome === 'success') {
      await tx.update(
        WebhookDelivery,
        { seq: delivery.seq },
        {
          state: 'delivered',
          leaseUntil: null,
          lastStatusCode: result.statusCode,
          finishedAt: now,
        },
      );
      if (webhook.consecutiveFailures > 0) {
        await tx.update(
          Webhook,
          { id: webhook.id },
          {
            consecutiveFailures: 0,
            failingSince: null,
            circuitOpenUntil: null,
          },
        );
      }
      if (webhook.consecutiveFailures >= this.cfg.breakerFailures) {
        // The circuit closes: the backlog goes now, in order, not at each delivery's own retry time.
        await tx.query(
          `UPDATE webhook_deliveries SET next_attempt_at = now()
           WHERE webhook_id = $1 AND state = 'pending' AND next_attempt_at > now()`,
          [webhook.id],
        );
        this.logger.log(
          { webhookId: webhook.id },
          'webhook endpoint answers again; circuit closed',
        );
      }
    } else {
      const retries = this.cfg.retryScheduleMs;
      if (attempt > retries.length) {
        await tx.update(
          WebhookDelivery,
          { seq: delivery.seq },
          { state: 'failed', leaseUntil: null, lastStatusCode: result.statusCode, finishedAt: now },
        );
        this.metrics.webhookDeliveriesFailed.inc();
      } else {
        const delayMs = retryDelayMs(retries, attempt);
        await tx.update(
          WebhookDelivery,
          { seq: delivery.seq },
          {
            state: 'pending',
            leaseUntil: null,
            lastStatusCode: result.statusCode,
            nextAttemptAt: new Date(now.getTime() + delayMs),
          },
        );
        next.push({ id: delivery.id, attempts: attempt, delayMs });
      }
      await this.countFailure(tx, webhook, now);
    }
    return [...next, ...(await this.ready(tx, webhook.id, this.cfg.endpointConcurrency * 2))];
  }

  /** The endpoint's breaker and disabling, after a failed attempt. */
  private async countFailure(tx: EntityManager, webhook: Webhook, now: Date): Promise<void> {
    const failures = webhook.consecutiveFailures + 1;
    const failingSince = webhook.failingSince ?? now;
    const opens = failures >= this.cfg.breakerFailures;
    const disable = now.getTime() - failingSince.getTime() >= this.cfg.disableAfterMs;
    await tx.update(
      Webhook,
      { id: webhook.id },
      {
        consecutiveFailures: failures,
        failingSince,
        ...(opens && { circuitOpenUntil: new Date(now.getTime() + this.cfg.breakerCooldownMs) }),
        ...(disable && {
          disabledAt: now,
          disabledReason: `Every attempt failed since ${failingSince.toISOString()}.`,
        }),
      },
    );
    if (opens && failures === this.cfg.breakerFailures) {
      this.logger.warn(
        { webhookId: webhook.id, failures },
        'webhook endpoint failing; circuit open',
      );
    }
    if (disable) {
      this.logger.warn({ webhookId: webhook.id }, 'webhook endpoint failed too long; disabled');
      await recordEvent(tx, {
        type: 'webhook.disabled',
        aggregateType: 'webhook',
        aggregateId: webhook.id,
        // The owner as the actor, so the owner's event stream (and other webhooks) show it.
        actorId: webhook.ownerId,
        data: { webhookId: webhook.id, url: webhook.url, failingSince: failingSince.toISOString() },
      });
    }
  }

  /** Up to `limit` of the endpoint's deliveries that are due and first of their aggregate. */
  private async ready(
    tx: EntityManager,
    webhookId: string,
    limit: number,
  ): Promise<QueuedDelivery[]> {
    const rows = await tx.query<Array<{ id: string; attempts: number }>>(
      `SELECT d.id, d.attempts FROM webhook_deliveries d
       WHERE d.webhook_id = $1 AND ${WAITING} AND d.next_attempt_at <= now() AND ${FIRST_OF_AGGREGATE}
       ORDER BY d.seq LIMIT $2`,
      [webhookId, limit],
    );
    return rows.map((r) => ({ id: r.id, attempts: r.attempts, delayMs: 0 }));
  }

  /**
   * What the queues may have lost: due deliveries of endpoints that are enabled and whose
   * circuit is not waiting, the first few per endpoint (so a big backlog on one endpoint does
   * not crowd out the others), oldest first. Re-queueing one that is queued is harmless.
   */
  async due(): Promise<QueuedDelivery[]> {
    const rows = await this.dataSource.query<Array<{ id: string; attempts: number }>>(
      `SELECT id, attempts FROM (
         SELECT d.id, d.attempts, d.seq,
           row_number() OVER (PARTITION BY d.webhook_id ORDER BY d.seq) AS n
         FROM webhook_deliveries d JOIN webhooks w ON w.id = d.webhook_id
         WHERE w.disabled_at IS NULL
           AND (w.circuit_open_until IS NULL OR w.circuit_open_until <= now())
           AND ${WAITING} AND d.next_attempt_at <= now() AND ${FIRST_OF_AGGREGATE}
       ) x WHERE n <= $1 ORDER BY seq LIMIT 1000`,
      [this.cfg.endpointConcurrency * 2],
    );
    return rows.map((r) => ({ id: r.id, attempts: r.attempts, delayMs: 0 }));
  }
}

/**
 * Full jitter within each step of the schedule: retry n waits a uniformly random time
 * between step n-1 and step n, so retries of many deliveries spread out and still grow.
 */
export function retryDelayMs(schedule: readonly number[], attempt: number): number {
  const upper = schedule[Math.min(attempt, schedule.length) - 1] ?? 0;
  const lower = schedule[attempt - 2] ?? 0;
  return Math.round(lower + Math.random() * (upper - lower));
}

function egressKindOutcome(kind: EgressError['kind'] | undefined): AttemptOutcome {
  switch (kind) {
    case 'refused_address':
    case 'refused_url':
      return 'refused';
    case 'timeout':
      return 'timeout';
    case 'too_large':
      return 'too_large';
    case 'network':
    case undefined:
      return 'network';
  }
}
