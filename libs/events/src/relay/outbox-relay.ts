import {
  DependencyPolicy,
  extractTraceContext,
  inSpan,
  jobsConfig,
  Metrics,
  outsideTrace,
  type OutboxStats,
} from '@keel/core';
import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { DataSource, type EntityManager } from 'typeorm';
import { toIntegrationEvent } from '../domain-event';
import { OutboxEvent } from '../entities/outbox-event.entity';
import { EventTransport } from '../transport/event-transport';

/** Rows per claim: a batch is published at once (see publishBatch). */
const BATCH = 500;
/** The slow path: rows written by other processes, and retries. A local commit wakes the relay at once. */
const POLL_MS = 1_000;
const MAX_BACKOFF_MS = 30_000;
/** Longest wait for one publish's confirm. */
const PUBLISH_TIMEOUT_MS = 5_000;
/**
 * A claim's lease: how long a relay that died mid-batch delays the next one. A batch's
 * publishes start together and each takes at most PUBLISH_TIMEOUT_MS, so a live relay always
 * ends its claim before the lease does.
 */
const LEASE_SECONDS = 12;

/**
 * Publishes outbox rows in stream order and marks them published, in three steps so that no
 * transaction stays open while the broker confirms: claim a batch (a short transaction under
 * an advisory lock gives the rows their `position` and a lease), publish it with no
 * transaction open, then stamp `published_at`. Only one relay holds claims at a time, so
 * several replicas can run one each and events still go out in `position` order. Rows are
 * stamped up to the first failed publish, so nothing overtakes it, and the relay retries with exponential
 * backoff and jitter behind a circuit breaker while writes go on being accepted. A row is
 * stamped only after its confirm: delivery is at least once.
 */
@Injectable()
export class OutboxRelay implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(OutboxRelay.name);
  private readonly policy = new DependencyPolicy({
    timeoutMs: PUBLISH_TIMEOUT_MS,
    halfOpenAfterMs: 2_000,
  });
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;
  private again = false;
  private failures = 0;
  private retryAt = 0;
  private stopped = false;

  constructor(
    private readonly dataSource: DataSource,
    private readonly transport: EventTransport,
    @Inject(jobsConfig.KEY) private readonly jobs: ConfigType<typeof jobsConfig>,
    private readonly metrics: Metrics,
  ) {}

  onApplicationBootstrap(): void {
    // With RUN_WORKERS=false the worker app publishes what this process records.
    if (!this.jobs.runWorkers) {
      this.stopped = true;
      return;
    }
    this.metrics.watchOutbox(() => this.backlog());
    this.metrics.watchBreaker('event_broker', this.policy);
    this.timer = setInterval(() => this.wake(), POLL_MS).unref();
    this.wake();
  }

  /** What the outbox metrics report: rows waiting, and how long the oldest has waited. */
  private async backlog(): Promise<OutboxStats> {
    const [row] = await this.dataSource.query<Array<{ pending: number; age: number | null }>>(
      `SELECT count(*)::int AS pending,
         (SELECT EXTRACT(EPOCH FROM now() - occurred_at)::float8 FROM outbox
           WHERE published_at IS NULL ORDER BY seq LIMIT 1) AS age
       FROM outbox WHERE published_at IS NULL`,
    );
    return { pending: row.pending, oldestAgeSeconds: Math.max(0, row.age ?? 0) };
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    await this.running;
  }

  /** Publishes what is pending now, unless a run is going (then it runs again after). */
  wake(): void {
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    if (Date.now() < this.retryAt) return;
    // A batch holds other writers' rows too: each row's publication joins its own trace.
    this.running = outsideTrace(() => this.drain()).finally(() => {
      this.running = undefined;
      if (this.again) {
        this.again = false;
        this.wake();
      }
    });
  }

  /** For tests and shutdown: resolves when the current run is over. */
  async idle(): Promise<void> {
    while (this.running) await this.running;
  }

  private async drain(): Promise<void> {
    for (;;) {
      let outcome: { more: boolean; failed: boolean };
      try {
        outcome = await this.publishBatch();
      } catch (error) {
        // The database itself failed; the next poll tries again.
        this.logger.warn({ err: error }, 'outbox relay could not read the outbox');
        return;
      }
      if (outcome.failed) {
        this.failures++;
        const backoff = Math.min(MAX_BACKOFF_MS, 250 * 2 ** Math.min(this.failures, 7));
        this.retryAt = Date.now() + backoff * (0.5 + Math.random() / 2);
        if (this.failures === 1 || this.failures % 20 === 0) {
          this.logger.warn({ failures: this.failures }, 'event broker unavailable; retrying');
        }
        return;
      }
      if (this.failures > 0) this.logger.log('event broker available again; backlog draining');
      this.failures = 0;
      this.retryAt = 0;
      if (!outcome.more || this.stopped) return;
    }
  }

  private async publishBatch(): Promise<{ more: boolean; failed: boolean }> {
    const rows = await this.dataSource.transaction((tx) => this.claim(tx));
    const publishedAt = new Date();
    // The batch goes out at once, in order on the one publishing channel, and its confirms
    // are awaited together: a confirm awaited before each next publish held the relay to one
    // broker round trip per event, about 100 events/s with the API under load.
    const outcomes = await Promise.allSettled(
      rows.map((row) => {
        // Consumers see the time the row is stamped with.
        const event = { ...toIntegrationEvent(row), publishedAt: publishedAt.toISOString() };
        // Part of the trace of the work that wrote the row; the transport carries it on.
        return inSpan(
          `${event.type} publish`,
          {
            kind: 'producer',
            parent: extractTraceContext(row.traceContext),
            attributes: { 'messaging.message.id': event.id, 'keel.outbox.position': row.position },
          },
          () => this.policy.execute(() => this.transport.publish(event)),
        );
      }),
    );
    // Only the rows before the first failure are stamped: a later row the broker confirmed
    // all the same goes out again after the failed one (at least once), never before it.
    const firstFailure = outcomes.findIndex((outcome) => outcome.status === 'rejected');
    const failed = firstFailure >= 0;
    const published = rows.slice(0, failed ? firstFailure : rows.length).map((row) => row.seq);
    this.metrics.outboxPublished.inc(published.length);
    this.metrics.outboxPublishFailures.inc(outcomes.filter((o) => o.status === 'rejected').length);
    if (rows.length > 0) {
      // Ends the claim; what was not published keeps its position and goes first next time.
      await this.dataSource.query(
        `UPDATE outbox SET claimed_until = NULL,
           published_at = CASE WHEN seq = ANY($1::bigint[]) THEN $2::timestamptz ELSE published_at END
         WHERE seq = ANY($3::bigint[])`,
        [published, publishedAt, rows.map((r) => r.seq)],
      );
    }
    return { more: rows.length === BATCH && published.length === rows.length, failed };
  }

  /**
   * The next batch, unless another relay holds a claim. Rows that have no position yet get
   * the next ones, in `seq` order, while the lock is held: every row visible now gets a lower
   * position than any row that becomes visible later, whatever order their `seq` says.
   */
  private async claim(tx: EntityManager): Promise<OutboxEvent[]> {
    const [{ locked }] = await tx.query<Array<{ locked: boolean }>>(
      `SELECT pg_try_advisory_xact_lock(hashtext('keel.outbox.relay')) AS locked`,
    );
    if (!locked) return [];
    const [{ busy }] = await tx.query<Array<{ busy: boolean }>>(
      `SELECT EXISTS (SELECT 1 FROM outbox WHERE published_at IS NULL AND claimed_until > now()) AS busy`,
    );
    if (busy) return [];
    const rows = await tx
      .createQueryBuilder(OutboxEvent, 'o')
      .where('o.published_at IS NULL')
      .orderBy('o.position', 'ASC', 'NULLS LAST')
      .addOrderBy('o.seq', 'ASC')
      .limit(BATCH)
      .getMany();
    if (rows.length === 0) return [];
    const [{ top }] = await tx.query<Array<{ top: string }>>(
      `SELECT COALESCE(MAX(position), 0)::text AS top FROM outbox`,
    );
    let next = BigInt(top);
    for (const row of rows) row.position ??= String(++next);
    await tx.query(
      `UPDATE outbox o SET position = c.position,
         claimed_until = now() + make_interval(secs => $3)
       FROM unnest($1::bigint[], $2::bigint[]) AS c(seq, position)
       WHERE o.seq = c.seq`,
      [rows.map((r) => r.seq), rows.map((r) => r.position), LEASE_SECONDS],
    );
    return rows;
  }
}
