import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';
import { createProcessLogger } from '../logging/logger-options';

/**
 * Every environment variable Keel reads, parsed and checked in one place.
 * A bad value stops the start with one message that names each offending variable.
 */
export type NodeEnv = 'development' | 'production' | 'test';
export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';

export interface KeelEnv {
  app: {
    nodeEnv: NodeEnv;
    host: string;
    port: number;
    /** Prometheus metrics on a port of their own; 0 turns them off. */
    metricsPort: number;
    logLevel: LogLevel;
    dataDir: string;
    webConcurrency: number;
    corsOrigins: string[];
    bodyLimitBytes: number;
    /** Fastify's trustProxy: false, true, a hop count, or trusted addresses/CIDRs. */
    trustProxy: boolean | number | string[];
    shutdownDelayMs: number;
    /** Counted from the signal, so it includes `shutdownDelayMs`. */
    shutdownTimeoutMs: number;
    http: {
      /** The request line and headers must arrive within this (408). */
      headersTimeoutMs: number;
      /** The whole request, body included, must arrive within this (408). */
      requestTimeoutMs: number;
      /** A socket with no traffic either way for this long is closed (a stalled body, a silent handler). */
      idleTimeoutMs: number;
      /** An idle keep-alive connection is kept this long between requests. */
      keepAliveTimeoutMs: number;
      /** A handler that has not begun its response by then gets a 503 in its place. */
      handlerTimeoutMs: number;
    };
  };
  database: {
    /** Postgres connection string; absent means the embedded Postgres server in `dataDir`. */
    url: string | undefined;
    poolSize: number;
    connectTimeoutMs: number;
    statementTimeoutMs: number;
    /** Client-side bound on one query: holds when packets are dropped and the server cannot answer. */
    queryTimeoutMs: number;
    runMigrations: boolean;
  };
  redis: { url: string | undefined; commandTimeoutMs: number; keyPrefix: string };
  rabbitmq: { url: string | undefined };
  events: {
    /** Comment lines on idle event streams, so proxies do not close them. */
    streamHeartbeatMs: number;
    /** Unsent bytes a stream client may fall behind before it is disconnected. */
    streamMaxBufferBytes: number;
  };
  cache: {
    /** Lifetime of shared (Redis) entries, and of in-process ones when they are the only level. */
    ttlSeconds: number;
    /** Lifetime of in-process entries when other processes may write: the staleness bound. */
    localTtlMs: number;
    localMaxEntries: number;
    /** Keep shared entries in Redis (when `REDIS_URL` is set); false keeps each process's own. */
    shared: boolean;
    /** Longest one Redis cache call may take before the request goes on without it. */
    timeoutMs: number;
    /** How long the circuit stays open after Redis failed before one call is tried again. */
    breakerHalfOpenMs: number;
  };
  jobs: {
    /** Run job processors and the outbox relay in this process (the API's default). */
    runWorkers: boolean;
    /** Jobs one process runs at once. */
    concurrency: number;
    /** Tries of a job that fails on a passing fault (a bad file fails at once). */
    attempts: number;
    /** BullMQ lock: a job whose worker stops renewing it for this long is handed to another. */
    lockMs: number;
    /** Largest import upload; bigger ones get a 413. */
    importMaxBytes: number;
    /** Rows inserted per transaction (and per progress event). */
    importBatchRows: number;
    /** Worker threads that parse and validate uploads. */
    parseThreads: number;
  };
  auth: {
    jwtSecret: string;
    /** True when the secret was generated and stored in DATA_DIR (never in production). */
    jwtSecretGenerated: boolean;
    /**
     * Keys that seal stored secrets (TOTP, mail tokens in jobs): the first seals, all open.
     * Ends with `jwtSecret`, which sealed everything before `ENCRYPTION_KEYS` was set.
     */
    sealingSecrets: string[];
    accessTokenTtlSeconds: number;
    refreshTokenTtlSeconds: number;
    /** A used refresh token presented again this soon gets the same successor, not a revocation. */
    refreshReuseGraceSeconds: number;
    adminEmail: string | undefined;
    adminPassword: string | undefined;
    rateLimitPerIp: number;
    rateLimitPerAccount: number;
    rateLimitWindowSeconds: number;
    /** Requests each API key may make per `apiKeyRateLimitWindowSeconds`. */
    apiKeyRateLimit: number;
    apiKeyRateLimitWindowSeconds: number;
    /**
     * Lifetime of a cached account status (JWT check), and how long an access change waits
     * before answering when the database is shared. 0 reads the user on every request.
     */
    userStatusTtlMs: number;
    /** Login refuses accounts whose address is not verified. */
    requireVerifiedEmail: boolean;
    /** Single sign-on with an OpenID Connect provider; undefined (SSO off) unless configured. */
    oidc: OidcEnv | undefined;
    /** Wrong or right, TOTP and recovery code attempts per account and rate-limit window. */
    mfaMaxAttempts: number;
    /** How often the cluster deletes used and expired challenges and tokens (once per cluster). */
    pruneIntervalSeconds: number;
  };
  mail: {
    /** SMTP server for outgoing mail; absent writes each mail as a `.eml` file under `dataDir/mail`. */
    smtpUrl: string | undefined;
    from: string;
    /** Where the links in mails point (the client app), without a trailing slash. */
    publicUrl: string;
  };
  tracing: TracingEnv;
  webhooks: WebhooksEnv;
}

/** Outbound webhooks (`WEBHOOK_*`). */
export interface WebhooksEnv {
  /** Longest wait for the receiver's TCP/TLS connection. */
  connectTimeoutMs: number;
  /** Longest one attempt may take, answer included. */
  timeoutMs: number;
  /** Largest answer read from a receiver; a bigger one fails the attempt. */
  maxResponseBytes: number;
  /**
   * Upper bounds of the waits before each retry, in ms: retry n waits a random time between
   * step n-1 and step n (full jitter within each step). Its length is the number of retries.
   */
  retryScheduleMs: number[];
  /** Failures in a row that open an endpoint's circuit. */
  breakerFailures: number;
  /** How long an open circuit waits before one probe delivery. */
  breakerCooldownMs: number;
  /** An endpoint failing without a success for this long is disabled. */
  disableAfterMs: number;
  /** Deliveries one process sends at once, over all endpoints. */
  concurrency: number;
  /** Deliveries sent at once to one endpoint, over the whole cluster. */
  endpointConcurrency: number;
  /** How long the previous secret keeps signing after a rotation. */
  secretOverlapMs: number;
  /** Webhooks one user may have. */
  maxPerUser: number;
  /** How often the fan-out and the reconciler look for work another process left. */
  pollMs: number;
  /** `WEBHOOK_ALLOW_HOSTS`, raw: parsed by the egress policy. */
  allowHosts: string | undefined;
  /** `WEBHOOK_ALLOW_HTTP`, raw: parsed by the egress policy. */
  allowHttp: string | undefined;
}

/** The OpenID Connect provider Keel signs users in with (`OIDC_*`). */
export interface OidcEnv {
  /** The provider's issuer identifier; its discovery document is `<issuer>/.well-known/openid-configuration`. */
  issuer: string;
  clientId: string;
  clientSecret: string;
  /** Space-separated; always includes `openid`. */
  scopes: string;
  /** `PUBLIC_URL` + `/v1/auth/oidc/callback`: register it with the provider. */
  redirectUri: string;
  /** Plain-http issuer: a loopback address, or `OIDC_ALLOW_HTTP=true`. */
  allowHttp: boolean;
}

/**
 * OpenTelemetry tracing, configured by the standard `OTEL_*` variables. Keel reads only what
 * decides whether to load the SDK at all; the SDK reads the rest (sampler, protocol, batch).
 */
export interface TracingEnv {
  /** An OTLP endpoint is set (`OTEL_EXPORTER_OTLP_ENDPOINT` or `..._TRACES_ENDPOINT`) and nothing turns tracing off. */
  enabled: boolean;
  /** `OTEL_SERVICE_NAME`, or `service.name` in `OTEL_RESOURCE_ATTRIBUTES`; the app's default when neither. */
  serviceName: string | undefined;
}

export class InvalidConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'InvalidConfigError';
  }
}

type RawEnv = Record<string, string | undefined>;

const NODE_ENVS: readonly NodeEnv[] = ['development', 'production', 'test'];
const LOG_LEVELS: readonly LogLevel[] = [
  'fatal',
  'error',
  'warn',
  'info',
  'debug',
  'trace',
  'silent',
];
const MIN_SECRET_LENGTH = 32;
const JWT_SECRET_FILE = 'jwt-secret';

class Reader {
  readonly problems: string[] = [];

  constructor(private readonly env: RawEnv) {}

  raw(name: string): string | undefined {
    const value = this.env[name]?.trim();
    return value === '' ? undefined : value;
  }

  string(name: string, fallback: string): string {
    return this.raw(name) ?? fallback;
  }

  oneOf<T extends string>(name: string, allowed: readonly T[], fallback: T): T {
    const value = this.raw(name);
    if (value === undefined) return fallback;
    if ((allowed as readonly string[]).includes(value)) return value as T;
    this.problems.push(`${name}: must be one of ${allowed.join(', ')} (got "${value}")`);
    return fallback;
  }

  int(name: string, fallback: number, min: number, max: number): number {
    const value = this.raw(name);
    if (value === undefined) return fallback;
    const parsed = /^-?\d+$/.test(value) ? Number(value) : NaN;
    if (Number.isSafeInteger(parsed) && parsed >= min && parsed <= max) return parsed;
    this.problems.push(`${name}: must be an integer from ${min} to ${max} (got "${value}")`);
    return fallback;
  }

  bool(name: string, fallback: boolean): boolean {
    const value = this.raw(name)?.toLowerCase();
    if (value === undefined) return fallback;
    if (['true', '1', 'yes'].includes(value)) return true;
    if (['false', '0', 'no'].includes(value)) return false;
    this.problems.push(`${name}: must be true or false (got "${value}")`);
    return fallback;
  }

  /** `false`, `true`, a number of proxy hops, or a comma list of trusted addresses/CIDRs. */
  trustProxy(name: string): boolean | number | string[] {
    const value = this.raw(name);
    if (value === undefined) return false;
    if (/^\d+$/.test(value)) return this.int(name, 0, 0, 32);
    if (/^(true|false|1|0|yes|no)$/i.test(value)) return this.bool(name, false);
    const addresses = value
      .split(',')
      .map((a) => a.trim())
      .filter(Boolean);
    if (addresses.every((a) => /^[0-9a-fA-F.:]+(\/\d{1,3})?$/.test(a))) return addresses;
    this.problems.push(
      `${name}: must be true, false, a hop count or a comma list of addresses/CIDRs (got "${value}")`,
    );
    return false;
  }

  url(name: string, protocols: readonly string[]): string | undefined {
    const value = this.raw(name);
    if (value === undefined) return undefined;
    try {
      const parsed = new URL(value);
      if (protocols.includes(parsed.protocol)) return value;
      this.problems.push(
        `${name}: must be a ${protocols.join(' or ')}// URL (got "${parsed.protocol}//…")`,
      );
    } catch {
      this.problems.push(`${name}: is not a valid URL`);
    }
    return undefined;
  }
}

/** Parses and validates the environment. Throws InvalidConfigError listing every problem. */
export function parseEnv(env: RawEnv = process.env): KeelEnv {
  const r = new Reader(env);
  const nodeEnv = r.oneOf('NODE_ENV', NODE_ENVS, 'development');
  const production = nodeEnv === 'production';
  const dataDirRaw = r.string('DATA_DIR', './data');
  const dataDir = isAbsolute(dataDirRaw) ? dataDirRaw : resolve(process.cwd(), dataDirRaw);

  const app: KeelEnv['app'] = {
    nodeEnv,
    host: r.string('HOST', '0.0.0.0'),
    port: r.int('PORT', 3000, 0, 65535),
    metricsPort: r.int('METRICS_PORT', 9464, 0, 65535),
    logLevel: r.oneOf('LOG_LEVEL', LOG_LEVELS, nodeEnv === 'test' ? 'warn' : 'info'),
    dataDir,
    webConcurrency: r.int('WEB_CONCURRENCY', 1, 1, 64),
    corsOrigins: (r.raw('CORS_ORIGINS') ?? '')
      .split(',')
      .map((o) => o.trim())
      .filter(Boolean),
    bodyLimitBytes: r.int('BODY_LIMIT_BYTES', 1_048_576, 1024, 1_073_741_824),
    trustProxy: r.trustProxy('TRUST_PROXY'),
    shutdownDelayMs: r.int('SHUTDOWN_DELAY_MS', 0, 0, 120_000),
    shutdownTimeoutMs: r.int('SHUTDOWN_TIMEOUT_MS', 25_000, 1_000, 600_000),
    http: {
      headersTimeoutMs: r.int('HTTP_HEADERS_TIMEOUT_MS', 10_000, 100, 600_000),
      requestTimeoutMs: r.int('HTTP_REQUEST_TIMEOUT_MS', 120_000, 100, 3_600_000),
      idleTimeoutMs: r.int('HTTP_IDLE_TIMEOUT_MS', 30_000, 100, 600_000),
      // Above the 60 s idle timeout of common load balancers, so they close idle connections
      // first: a connection closed by the server while the balancer reuses it resets a request.
      keepAliveTimeoutMs: r.int('HTTP_KEEP_ALIVE_TIMEOUT_MS', 72_000, 100, 600_000),
      // Above DATABASE_QUERY_TIMEOUT_MS, so a stuck query answers with its own, precise 503.
      handlerTimeoutMs: r.int('HTTP_HANDLER_TIMEOUT_MS', 20_000, 100, 600_000),
    },
  };
  if (app.shutdownDelayMs >= app.shutdownTimeoutMs) {
    r.problems.push('SHUTDOWN_DELAY_MS: must be less than SHUTDOWN_TIMEOUT_MS, which includes it');
  }
  if (app.http.headersTimeoutMs > app.http.requestTimeoutMs) {
    r.problems.push('HTTP_HEADERS_TIMEOUT_MS: must not exceed HTTP_REQUEST_TIMEOUT_MS');
  }

  const database: KeelEnv['database'] = {
    url: r.url('DATABASE_URL', ['postgres:', 'postgresql:']),
    poolSize: r.int('DATABASE_POOL_SIZE', 10, 1, 200),
    connectTimeoutMs: r.int('DATABASE_CONNECT_TIMEOUT_MS', 2_000, 100, 60_000),
    statementTimeoutMs: r.int('DATABASE_STATEMENT_TIMEOUT_MS', 10_000, 100, 600_000),
    queryTimeoutMs: r.int('DATABASE_QUERY_TIMEOUT_MS', 12_000, 100, 600_000),
    runMigrations: r.bool('RUN_MIGRATIONS', true),
  };

  const redis: KeelEnv['redis'] = {
    url: r.url('REDIS_URL', ['redis:', 'rediss:']),
    commandTimeoutMs: r.int('REDIS_COMMAND_TIMEOUT_MS', 250, 10, 10_000),
    keyPrefix: r.string('REDIS_KEY_PREFIX', 'keel:'),
  };
  const rabbitmq: KeelEnv['rabbitmq'] = { url: r.url('RABBITMQ_URL', ['amqp:', 'amqps:']) };
  const events: KeelEnv['events'] = {
    streamHeartbeatMs: r.int('EVENTS_STREAM_HEARTBEAT_MS', 15_000, 100, 300_000),
    streamMaxBufferBytes: r.int('EVENTS_STREAM_MAX_BUFFER_BYTES', 262_144, 1_024, 67_108_864),
  };
  if (events.streamHeartbeatMs >= app.http.idleTimeoutMs) {
    r.problems.push(
      'EVENTS_STREAM_HEARTBEAT_MS: must be less than HTTP_IDLE_TIMEOUT_MS, or idle streams are closed',
    );
  }
  const cache: KeelEnv['cache'] = {
    ttlSeconds: r.int('CACHE_TTL_SECONDS', 60, 1, 86_400),
    localTtlMs: r.int('CACHE_LOCAL_TTL_MS', 5_000, 0, 3_600_000),
    localMaxEntries: r.int('CACHE_LOCAL_MAX_ENTRIES', 1_000, 0, 1_000_000),
    shared: r.bool('CACHE_SHARED', true),
    timeoutMs: r.int('CACHE_TIMEOUT_MS', 150, 10, 5_000),
    breakerHalfOpenMs: r.int('CACHE_BREAKER_HALF_OPEN_MS', 5_000, 100, 600_000),
  };

  const jobs: KeelEnv['jobs'] = {
    runWorkers: r.bool('RUN_WORKERS', true),
    concurrency: r.int('JOBS_CONCURRENCY', 2, 1, 64),
    attempts: r.int('JOBS_ATTEMPTS', 5, 1, 100),
    lockMs: r.int('JOBS_LOCK_MS', 30_000, 1_000, 600_000),
    importMaxBytes: r.int('IMPORT_MAX_BYTES', 104_857_600, 1_024, 10_737_418_240),
    // Both profiles' databases are Postgres servers, in their own processes: a batch's
    // inserts do not hold this process's event loop.
    importBatchRows: r.int('IMPORT_BATCH_ROWS', 1_000, 1, 10_000),
    parseThreads: r.int('IMPORT_PARSE_THREADS', Math.max(1, availableParallelism() - 1), 1, 64),
  };

  const adminEmail = r.raw('ADMIN_EMAIL');
  const adminPassword = r.raw('ADMIN_PASSWORD');
  if ((adminEmail === undefined) !== (adminPassword === undefined)) {
    r.problems.push('ADMIN_EMAIL and ADMIN_PASSWORD: set both or neither');
  }
  if (adminEmail !== undefined && !/^[^\s@]+@[^\s@]+$/.test(adminEmail)) {
    r.problems.push('ADMIN_EMAIL: is not an email address');
  }
  if (adminPassword !== undefined && (adminPassword.length < 8 || adminPassword.length > 128)) {
    r.problems.push('ADMIN_PASSWORD: must be 8 to 128 characters');
  }

  const configuredSecret = r.raw('JWT_SECRET');
  if (configuredSecret !== undefined && configuredSecret.length < MIN_SECRET_LENGTH) {
    r.problems.push(`JWT_SECRET: must be at least ${MIN_SECRET_LENGTH} characters`);
  } else if (configuredSecret !== undefined && new Set(configuredSecret).size < 8) {
    r.problems.push('JWT_SECRET: is too weak (too few distinct characters)');
  } else if (configuredSecret === undefined && production) {
    r.problems.push('JWT_SECRET: is required when NODE_ENV=production');
  }

  const encryptionKeys = (r.raw('ENCRYPTION_KEYS') ?? '')
    .split(',')
    .map((key) => key.trim())
    .filter((key) => key !== '');
  if (encryptionKeys.some((key) => key.length < MIN_SECRET_LENGTH || new Set(key).size < 8)) {
    r.problems.push(
      `ENCRYPTION_KEYS: each key must be at least ${MIN_SECRET_LENGTH} characters, not too weak`,
    );
  }

  const auth: KeelEnv['auth'] = {
    jwtSecret: configuredSecret ?? '',
    jwtSecretGenerated: false,
    sealingSecrets: encryptionKeys,
    accessTokenTtlSeconds: r.int('JWT_ACCESS_TTL_SECONDS', 900, 30, 86_400),
    refreshTokenTtlSeconds: r.int('REFRESH_TOKEN_TTL_SECONDS', 2_592_000, 60, 31_536_000),
    refreshReuseGraceSeconds: r.int('REFRESH_REUSE_GRACE_SECONDS', 5, 0, 60),
    adminEmail: adminEmail?.toLowerCase(),
    adminPassword,
    rateLimitPerIp: r.int('AUTH_RATE_LIMIT_PER_IP', 30, 1, 1_000_000),
    rateLimitPerAccount: r.int('AUTH_RATE_LIMIT_PER_ACCOUNT', 10, 1, 1_000_000),
    rateLimitWindowSeconds: r.int('AUTH_RATE_LIMIT_WINDOW_SECONDS', 60, 1, 86_400),
    apiKeyRateLimit: r.int('API_KEY_RATE_LIMIT', 600, 1, 1_000_000),
    apiKeyRateLimitWindowSeconds: r.int('API_KEY_RATE_LIMIT_WINDOW_SECONDS', 60, 1, 86_400),
    userStatusTtlMs: r.int('AUTH_USER_STATUS_TTL_MS', 2_000, 0, 60_000),
    requireVerifiedEmail: r.bool('REQUIRE_VERIFIED_EMAIL', false),
    oidc: undefined,
    mfaMaxAttempts: r.int('MFA_MAX_ATTEMPTS', 5, 1, 100),
    pruneIntervalSeconds: r.int('AUTH_PRUNE_INTERVAL_SECONDS', 3_600, 1, 604_800),
  };
  if (auth.userStatusTtlMs >= app.http.handlerTimeoutMs) {
    // An access change waits this long before answering: the handler timeout would cut it.
    r.problems.push('AUTH_USER_STATUS_TTL_MS: must be less than HTTP_HANDLER_TIMEOUT_MS');
  }

  const mail: KeelEnv['mail'] = {
    smtpUrl: r.url('SMTP_URL', ['smtp:', 'smtps:']),
    from: r.string('MAIL_FROM', 'Keel <no-reply@localhost>'),
    publicUrl: (r.url('PUBLIC_URL', ['http:', 'https:']) ?? `http://localhost:${app.port}`).replace(
      /\/+$/,
      '',
    ),
  };

  auth.oidc = readOidc(r, mail.publicUrl);
  const tracing = readTracing(r);
  const webhooks = readWebhooks(r);

  if (r.problems.length > 0) throw new InvalidConfigError(r.problems);

  if (configuredSecret === undefined) {
    auth.jwtSecret = loadOrCreateSecret(dataDir);
    auth.jwtSecretGenerated = true;
  }
  auth.sealingSecrets = [...new Set([...auth.sealingSecrets, auth.jwtSecret])];
  return { app, database, redis, rabbitmq, events, cache, jobs, auth, mail, tracing, webhooks };
}

const DURATION = /^(\d+)(ms|s|m|h)$/;
const DURATION_MS = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000 } as const;
/** About a day in all: 5 s, 30 s, 2 min, 10 min, 30 min, 1 h, 2 h, 4 h, 8 h, 8 h. */
const DEFAULT_RETRY_SCHEDULE = '5s,30s,2m,10m,30m,1h,2h,4h,8h,8h';

function readWebhooks(r: Reader): WebhooksEnv {
  const schedule = r.string('WEBHOOK_RETRY_SCHEDULE', DEFAULT_RETRY_SCHEDULE);
  const steps = schedule.split(',').map((step) => DURATION.exec(step.trim()));
  let retryScheduleMs = steps.map((m) =>
    m ? Number(m[1]) * DURATION_MS[m[2] as keyof typeof DURATION_MS] : NaN,
  );
  if (
    steps.length > 30 ||
    retryScheduleMs.some(
      (ms, i) =>
        !Number.isSafeInteger(ms) || ms > 7 * 86_400_000 || ms < (retryScheduleMs[i - 1] ?? 0),
    )
  ) {
    r.problems.push(
      'WEBHOOK_RETRY_SCHEDULE: must be up to 30 growing durations like 5s,1m,1h (ms, s, m or h, each at most 7 days)',
    );
    retryScheduleMs = [];
  }
  const webhooks: WebhooksEnv = {
    connectTimeoutMs: r.int('WEBHOOK_CONNECT_TIMEOUT_MS', 5_000, 100, 60_000),
    timeoutMs: r.int('WEBHOOK_TIMEOUT_MS', 15_000, 100, 120_000),
    maxResponseBytes: r.int('WEBHOOK_MAX_RESPONSE_BYTES', 65_536, 1_024, 10_485_760),
    retryScheduleMs,
    breakerFailures: r.int('WEBHOOK_BREAKER_FAILURES', 5, 1, 1_000),
    breakerCooldownMs: r.int('WEBHOOK_BREAKER_COOLDOWN_MS', 60_000, 100, 86_400_000),
    disableAfterMs: r.int('WEBHOOK_DISABLE_AFTER_SECONDS', 259_200, 1, 31_536_000) * 1_000,
    concurrency: r.int('WEBHOOK_CONCURRENCY', 16, 1, 256),
    endpointConcurrency: r.int('WEBHOOK_ENDPOINT_CONCURRENCY', 2, 1, 64),
    secretOverlapMs: r.int('WEBHOOK_SECRET_OVERLAP_SECONDS', 86_400, 0, 2_592_000) * 1_000,
    maxPerUser: r.int('WEBHOOK_MAX_PER_USER', 20, 1, 10_000),
    pollMs: r.int('WEBHOOK_POLL_MS', 1_000, 50, 60_000),
    allowHosts: r.raw('WEBHOOK_ALLOW_HOSTS'),
    allowHttp: r.raw('WEBHOOK_ALLOW_HTTP'),
  };
  if (webhooks.connectTimeoutMs > webhooks.timeoutMs) {
    r.problems.push('WEBHOOK_CONNECT_TIMEOUT_MS: must not exceed WEBHOOK_TIMEOUT_MS');
  }
  if (webhooks.endpointConcurrency > webhooks.concurrency) {
    r.problems.push('WEBHOOK_ENDPOINT_CONCURRENCY: must not exceed WEBHOOK_CONCURRENCY');
  }
  return webhooks;
}

const LOOPBACK_HOST = /^(localhost|127(\.\d{1,3}){3}|\[::1\])$/;

function readOidc(r: Reader, publicUrl: string): OidcEnv | undefined {
  const issuer = r.url('OIDC_ISSUER', ['http:', 'https:']);
  const clientId = r.raw('OIDC_CLIENT_ID');
  const clientSecret = r.raw('OIDC_CLIENT_SECRET');
  const allowHttpSetting = r.bool('OIDC_ALLOW_HTTP', false);
  const scopes = (r.raw('OIDC_SCOPES') ?? 'openid email profile').split(/\s+/);
  if (!scopes.includes('openid')) r.problems.push('OIDC_SCOPES: must include openid');
  const set = [r.raw('OIDC_ISSUER'), clientId, clientSecret].filter((v) => v !== undefined);
  if (set.length === 0) return undefined;
  if (set.length < 3) {
    r.problems.push('OIDC_ISSUER, OIDC_CLIENT_ID and OIDC_CLIENT_SECRET: set all three or none');
    return undefined;
  }
  if (issuer === undefined || clientId === undefined || clientSecret === undefined)
    return undefined;
  const { protocol, hostname } = new URL(issuer);
  const allowHttp = allowHttpSetting || LOOPBACK_HOST.test(hostname);
  if (protocol === 'http:' && !allowHttp) {
    r.problems.push(
      'OIDC_ISSUER: must be https (http only for a loopback address, or with OIDC_ALLOW_HTTP=true)',
    );
  }
  return {
    // Exactly as given: the discovery document's `issuer` must match it, trailing slash and all.
    issuer,
    clientId,
    clientSecret,
    scopes: scopes.join(' '),
    redirectUri: `${publicUrl}/v1/auth/oidc/callback`,
    allowHttp,
  };
}

const OTLP_HTTP_PROTOCOLS = ['http/protobuf', 'http/json'] as const;

function readTracing(r: Reader): TracingEnv {
  const endpoints = ['OTEL_EXPORTER_OTLP_TRACES_ENDPOINT', 'OTEL_EXPORTER_OTLP_ENDPOINT'].map(
    (name) => r.url(name, ['http:', 'https:']),
  );
  // OTLP over HTTP only: `grpc` is refused rather than quietly sent some other way.
  r.oneOf('OTEL_EXPORTER_OTLP_PROTOCOL', OTLP_HTTP_PROTOCOLS, 'http/protobuf');
  r.oneOf('OTEL_EXPORTER_OTLP_TRACES_PROTOCOL', OTLP_HTTP_PROTOCOLS, 'http/protobuf');
  const disabled =
    r.bool('OTEL_SDK_DISABLED', false) ||
    (r.raw('OTEL_TRACES_EXPORTER') ?? 'otlp').split(',').some((e) => e.trim() === 'none');
  const fromAttributes = /(?:^|,)\s*service\.name\s*=\s*([^,]+)/.exec(
    r.raw('OTEL_RESOURCE_ATTRIBUTES') ?? '',
  )?.[1];
  return {
    enabled: !disabled && endpoints.some((url) => url !== undefined),
    serviceName: r.raw('OTEL_SERVICE_NAME') ?? fromAttributes?.trim(),
  };
}

/**
 * The tracing part alone, for the start of a process, before the rest of the configuration
 * is read: a bad value turns tracing off here, and `parseEnv` then reports it.
 */
export function parseTracingEnv(env: RawEnv = process.env): TracingEnv {
  const r = new Reader(env);
  const tracing = readTracing(r);
  return r.problems.length > 0 ? { ...tracing, enabled: false } : tracing;
}

/** For an app's entry point: the configuration, or exit 1 with one JSON line naming each bad variable. */
export function parseEnvOrExit(): KeelEnv {
  try {
    return parseEnv();
  } catch (error) {
    if (!(error instanceof InvalidConfigError)) throw error;
    createProcessLogger('Config').fatal({ problems: error.problems }, error.message);
    process.exit(1);
  }
}

/** Outside production an absent JWT_SECRET is generated once and kept in DATA_DIR. */
function loadOrCreateSecret(dataDir: string): string {
  const file = join(dataDir, JWT_SECRET_FILE);
  if (existsSync(file)) {
    const stored = readFileSync(file, 'utf8').trim();
    if (stored.length >= MIN_SECRET_LENGTH) return stored;
  }
  mkdirSync(dataDir, { recursive: true });
  const secret = randomBytes(48).toString('base64url');
  try {
    writeFileSync(file, `${secret}\n`, { mode: 0o600, flag: 'wx' });
  } catch (error) {
    // Another process (a cluster sibling) wrote it first: use theirs.
    if ((error as NodeJS.ErrnoException).code === 'EEXIST')
      return readFileSync(file, 'utf8').trim();
    throw error;
  }
  return secret;
}

/**
 * For a process that reads the configuration before Nest's ConfigModule does (the `keel`
 * CLI): loads `.env` as ConfigModule would (variables already set win; not under tests).
 */
export function loadDotEnv(): void {
  if (process.env.NODE_ENV !== 'test' && existsSync('.env')) process.loadEnvFile('.env');
}

/**
 * Sets `settings` in the environment before Nest's ConfigModule reads it, so that every
 * namespace sees the same values; answers the configuration with them.
 */
export function overrideEnv(settings: Record<string, string>): KeelEnv {
  Object.assign(process.env, settings);
  return parseEnv();
}
