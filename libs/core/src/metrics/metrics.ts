import { Injectable } from '@nestjs/common';
import cluster from 'node:cluster';
import { performance, type EventLoopUtilization } from 'node:perf_hooks';
import {
  AggregatorRegistry,
  Counter,
  Gauge,
  Histogram,
  Registry,
  collectDefaultMetrics,
} from 'prom-client';

/** What Keel measures, in one place. Names and labels follow OpenTelemetry's conventions as Prometheus shows them. */

/** OpenTelemetry's advice for HTTP server durations, in seconds. */
const HTTP_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10];
const DB_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
const JOB_BUCKETS = [0.1, 0.5, 1, 5, 10, 30, 60, 300, 900, 3600];

const HTTP_METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);
const DB_OPERATIONS = new Set([
  'SELECT',
  'INSERT',
  'UPDATE',
  'DELETE',
  'BEGIN',
  'COMMIT',
  'ROLLBACK',
]);

/** The `http_route` of a request that matched no route (404, 405, and what is refused before routing). */
export const UNMATCHED_ROUTE = 'unmatched';

export interface PoolStats {
  total: number;
  idle: number;
  waiting: number;
  max: number;
}

export interface OutboxStats {
  pending: number;
  /** Age of the oldest unpublished row, in seconds; 0 when none. */
  oldestAgeSeconds: number;
}

export interface JobCounts {
  type: string;
  queued: number;
  active: number;
}

export interface WebhookStats {
  /** Deliveries waiting to be sent (pending, sending). */
  pending: number;
  /** Age of the oldest waiting delivery, in seconds; 0 when none. */
  oldestAgeSeconds: number;
  /** Endpoints by circuit state: closed, open, half_open, disabled. */
  endpoints: Record<'closed' | 'open' | 'half_open' | 'disabled', number>;
}

type Read<T> = () => T | Promise<T>;

/**
 * A gauge's value read from its owner at scrape time (a pool's counts, the outbox's lag).
 * Gauges that share one reading (the outbox's two) share one call per scrape.
 */
class Reading<T> {
  private read?: Read<T>;
  private last?: { at: number; value: Promise<T | undefined> };

  set(read: Read<T>): void {
    this.read = read;
  }

  get(): Promise<T | undefined> {
    const read = this.read;
    if (!read) return Promise.resolve(undefined);
    const now = performance.now();
    if (!this.last || now - this.last.at > 500) {
      // A failed reading leaves the gauge as it was: a scrape must not fail with it.
      this.last = {
        at: now,
        value: Promise.resolve()
          .then(read)
          .catch(() => undefined),
      };
    }
    return this.last.value;
  }
}

@Injectable()
export class Metrics {
  readonly registry = new Registry();

  private readonly httpDuration = new Histogram({
    name: 'http_server_request_duration_seconds',
    help: 'Duration of HTTP server requests, by route template.',
    labelNames: ['http_request_method', 'http_route', 'http_response_status_code'] as const,
    buckets: HTTP_BUCKETS,
    registers: [this.registry],
  });

  private readonly dbDuration = new Histogram({
    name: 'db_client_operation_duration_seconds',
    help: 'Duration of database operations, by SQL verb.',
    labelNames: ['db_system_name', 'db_operation_name'] as const,
    buckets: DB_BUCKETS,
    registers: [this.registry],
  });
  private readonly pool = new Reading<PoolStats>();

  readonly cacheRequests = new Counter({
    name: 'keel_cache_requests_total',
    help: 'Response cache lookups by level and result; `error` counts failed Redis calls (served as misses).',
    labelNames: ['cache_level', 'result'] as const,
    registers: [this.registry],
  });

  private readonly breakers = new Map<string, { readonly isOpen: boolean }>();

  readonly rateLimitRejections = new Counter({
    name: 'keel_rate_limit_rejections_total',
    help: 'Requests refused with 429, by rate-limit rule.',
    labelNames: ['rule'] as const,
    registers: [this.registry],
  });

  private readonly outbox = new Reading<OutboxStats>();
  readonly outboxPublished = new Counter({
    name: 'keel_outbox_published_total',
    help: 'Outbox events published to the broker.',
    registers: [this.registry],
  });
  readonly outboxPublishFailures = new Counter({
    name: 'keel_outbox_publish_failures_total',
    help: 'Outbox publishes that failed (the relay retries them).',
    registers: [this.registry],
  });

  private readonly jobs = new Reading<JobCounts[]>();
  readonly jobsFailed = new Counter({
    name: 'keel_jobs_failed_total',
    help: 'Jobs that failed for good (no attempts left, or refused input).',
    labelNames: ['job_type'] as const,
    registers: [this.registry],
  });
  readonly jobDuration = new Histogram({
    name: 'keel_job_duration_seconds',
    help: 'Duration of job runs, by type and outcome.',
    labelNames: ['job_type', 'outcome'] as const,
    buckets: JOB_BUCKETS,
    registers: [this.registry],
  });
  readonly jobRows = new Counter({
    name: 'keel_job_rows_processed_total',
    help: 'Rows imported or exported by jobs.',
    labelNames: ['job_type'] as const,
    registers: [this.registry],
  });

  private readonly streamClients = new Reading<number>();
  readonly streamDropped = new Counter({
    name: 'keel_event_stream_dropped_total',
    help: 'Event stream clients disconnected for falling behind.',
    registers: [this.registry],
  });

  readonly logins = new Counter({
    name: 'keel_auth_logins_total',
    help: 'Login attempts by outcome.',
    labelNames: ['outcome'] as const,
    registers: [this.registry],
  });
  readonly refreshTokenReuse = new Counter({
    name: 'keel_auth_refresh_token_reuse_total',
    help: 'Refresh tokens presented again after rotation: a stolen token; the session was revoked.',
    registers: [this.registry],
  });

  private readonly webhooks = new Reading<WebhookStats>();
  readonly webhookAttempts = new Counter({
    name: 'keel_webhook_attempts_total',
    help: 'Webhook delivery attempts by outcome: success (2xx), http_error, timeout, network, refused, too_large.',
    labelNames: ['outcome'] as const,
    registers: [this.registry],
  });
  readonly webhookAttemptDuration = new Histogram({
    name: 'keel_webhook_attempt_duration_seconds',
    help: 'Duration of webhook delivery attempts, from the request to the end of the answer or the failure.',
    buckets: HTTP_BUCKETS,
    registers: [this.registry],
  });
  readonly webhookDeliveriesFailed = new Counter({
    name: 'keel_webhook_deliveries_failed_total',
    help: 'Webhook deliveries given up after their last retry.',
    registers: [this.registry],
  });

  constructor() {
    collectDefaultMetrics({ register: this.registry });
    this.gauges();
    // The cluster primary asks each worker for its registry's figures (serveClusterMetrics):
    // creating an AggregatorRegistry in a worker starts answering those requests.
    if (cluster.isWorker) {
      new AggregatorRegistry();
      AggregatorRegistry.setRegistries([this.registry]);
    }
  }

  /** Records one answered HTTP request. `route` is the route template, undefined when none matched. */
  observeHttp(method: string, route: string | undefined, status: number, seconds: number): void {
    this.httpDuration.observe(
      {
        http_request_method: HTTP_METHODS.has(method) ? method : '_OTHER',
        http_route: route ?? UNMATCHED_ROUTE,
        http_response_status_code: status,
      },
      seconds,
    );
  }

  /** Records one database operation; `verb` is the statement's first keyword. */
  observeDb(verb: string, seconds: number): void {
    const operation = DB_OPERATIONS.has(verb) ? verb : 'OTHER';
    this.dbDuration.labels('postgresql', operation).observe(seconds);
  }

  /** The pool whose counts `db_client_connection_*` report. */
  watchPool(read: Read<PoolStats>): void {
    this.pool.set(read);
  }

  /** Reports `keel_circuit_breaker_open{dependency}` from this breaker. */
  watchBreaker(dependency: string, breaker: { readonly isOpen: boolean }): void {
    this.breakers.set(dependency, breaker);
  }

  /** Where the outbox gauges are read (the process that runs the relay). */
  watchOutbox(read: Read<OutboxStats>): void {
    this.outbox.set(read);
  }

  watchJobs(read: Read<JobCounts[]>): void {
    this.jobs.set(read);
  }

  watchStreamClients(read: Read<number>): void {
    this.streamClients.set(read);
  }

  /** Where the webhook backlog and endpoint gauges are read (a process that sends deliveries). */
  watchWebhooks(read: Read<WebhookStats>): void {
    this.webhooks.set(read);
  }

  /** The gauges, set from their readings when scraped. */
  private gauges(): void {
    const registers = [this.registry];
    const { pool, outbox, jobs, streamClients, breakers, webhooks } = this;
    new Gauge({
      name: 'db_client_connection_count',
      help: 'Database connections in the pool, by state.',
      labelNames: ['db_client_connection_state'] as const,
      registers,
      async collect() {
        const stats = await pool.get();
        if (!stats) return;
        this.set({ db_client_connection_state: 'idle' }, stats.idle);
        this.set({ db_client_connection_state: 'used' }, stats.total - stats.idle);
      },
    });
    new Gauge({
      name: 'db_client_connection_max',
      help: 'Largest number of connections the pool opens.',
      registers,
      async collect() {
        const stats = await pool.get();
        if (stats) this.set(stats.max);
      },
    });
    new Gauge({
      name: 'db_client_connection_pending_requests',
      help: 'Requests waiting for a database connection.',
      registers,
      async collect() {
        const stats = await pool.get();
        if (stats) this.set(stats.waiting);
      },
    });
    new Gauge({
      name: 'keel_circuit_breaker_open',
      help: '1 while a dependency circuit breaker is open or half-open (the dependency is being skipped), 0 when closed.',
      labelNames: ['dependency'] as const,
      registers,
      collect() {
        for (const [dependency, breaker] of breakers) {
          this.set({ dependency }, breaker.isOpen ? 1 : 0);
        }
      },
    });
    // Every process that runs the relay reads the same table: the primary keeps the largest.
    new Gauge({
      name: 'keel_outbox_pending_events',
      help: 'Outbox rows not yet published to the broker.',
      registers,
      aggregator: 'max',
      async collect() {
        const stats = await outbox.get();
        if (stats) this.set(stats.pending);
      },
    });
    new Gauge({
      name: 'keel_outbox_lag_seconds',
      help: 'Age of the oldest outbox row not yet published; 0 when none is waiting.',
      registers,
      aggregator: 'max',
      async collect() {
        const stats = await outbox.get();
        if (stats) this.set(stats.oldestAgeSeconds);
      },
    });
    for (const [name, field] of [
      ['keel_jobs_queued', 'queued'],
      ['keel_jobs_active', 'active'],
    ] as const) {
      new Gauge({
        name,
        help: `Jobs ${field === 'queued' ? 'waiting to run' : 'running now'}, by type.`,
        labelNames: ['job_type'] as const,
        registers,
        aggregator: 'max',
        async collect() {
          const counts = await jobs.get();
          if (!counts) return;
          this.reset();
          for (const count of counts) this.set({ job_type: count.type }, count[field]);
        },
      });
    }
    new Gauge({
      name: 'keel_event_stream_clients',
      help: 'Event stream (SSE) clients connected to this process.',
      registers,
      async collect() {
        this.set((await streamClients.get()) ?? 0);
      },
    });
    // Read from the shared tables: every sending process reports the same; the primary keeps the largest.
    new Gauge({
      name: 'keel_webhook_deliveries_pending',
      help: 'Webhook deliveries waiting to be sent or being sent (the backlog).',
      registers,
      aggregator: 'max',
      async collect() {
        const stats = await webhooks.get();
        if (stats) this.set(stats.pending);
      },
    });
    new Gauge({
      name: 'keel_webhook_delivery_lag_seconds',
      help: 'Age of the oldest webhook delivery still waiting; 0 when none.',
      registers,
      aggregator: 'max',
      async collect() {
        const stats = await webhooks.get();
        if (stats) this.set(stats.oldestAgeSeconds);
      },
    });
    // Endpoints are counted by circuit state, never labelled by id: their number is unbounded.
    new Gauge({
      name: 'keel_webhook_endpoints',
      help: 'Webhook endpoints by circuit state: closed, open, half_open (a probe is due or running), disabled.',
      labelNames: ['state'] as const,
      registers,
      aggregator: 'max',
      async collect() {
        const stats = await webhooks.get();
        if (!stats) return;
        for (const [state, n] of Object.entries(stats.endpoints)) this.set({ state }, n);
      },
    });
    let previous: EventLoopUtilization | undefined;
    new Gauge({
      name: 'nodejs_eventloop_utilization_ratio',
      help: 'Share of the time since the previous scrape the event loop was busy (0 to 1).',
      registers,
      collect() {
        const now = performance.eventLoopUtilization();
        const since = previous;
        previous = now;
        this.set(
          since ? performance.eventLoopUtilization(now, since).utilization : now.utilization,
        );
      },
    });
  }
}
