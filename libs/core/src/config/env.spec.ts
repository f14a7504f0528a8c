import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InvalidConfigError, parseEnv, parseTracingEnv } from './env';

describe('parseEnv', () => {
  let dataDir: string;
  beforeEach(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'keel-env-'));
  });
  afterEach(() => rmSync(dataDir, { recursive: true, force: true }));

  it('gives the documented defaults when nothing is set', () => {
    const env = parseEnv({ DATA_DIR: dataDir });
    expect(env.app).toMatchObject({
      port: 3000,
      metricsPort: 9464,
      nodeEnv: 'development',
      logLevel: 'info',
      webConcurrency: 1,
      corsOrigins: [],
    });
    expect(env.database).toMatchObject({ url: undefined, runMigrations: true, poolSize: 10 });
    expect(env.redis.url).toBeUndefined();
    expect(env.rabbitmq.url).toBeUndefined();
  });

  it('names every offending variable and why, in one error', () => {
    let error: unknown;
    try {
      parseEnv({
        DATA_DIR: dataDir,
        PORT: 'eighty',
        NODE_ENV: 'staging',
        DATABASE_URL: 'mysql://x',
        WEB_CONCURRENCY: '0',
        RUN_MIGRATIONS: 'maybe',
      });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(InvalidConfigError);
    const { problems, message } = error as InvalidConfigError;
    expect(problems).toEqual([
      expect.stringMatching(/^NODE_ENV: must be one of/),
      expect.stringMatching(/^PORT: must be an integer/),
      expect.stringMatching(/^WEB_CONCURRENCY: must be an integer from 1/),
      expect.stringMatching(/^DATABASE_URL: must be a postgres:/),
      expect.stringMatching(/^RUN_MIGRATIONS: must be true or false/),
    ]);
    expect(message).toContain('PORT: must be an integer from 0 to 65535 (got "eighty")');
  });

  it('sets the HTTP and query timeouts deliberately, and refuses ones that contradict each other', () => {
    const env = parseEnv({ DATA_DIR: dataDir });
    expect(env.app.http).toEqual({
      headersTimeoutMs: 10_000,
      requestTimeoutMs: 120_000,
      idleTimeoutMs: 30_000,
      keepAliveTimeoutMs: 72_000,
      handlerTimeoutMs: 20_000,
    });
    expect(env.database.queryTimeoutMs).toBe(12_000);
    const problems = (raw: Record<string, string>) => {
      try {
        parseEnv({ DATA_DIR: dataDir, ...raw });
        return [];
      } catch (error) {
        return (error as InvalidConfigError).problems;
      }
    };
    expect(problems({ SHUTDOWN_DELAY_MS: '30000', SHUTDOWN_TIMEOUT_MS: '25000' })).toEqual([
      expect.stringContaining('SHUTDOWN_DELAY_MS: must be less than SHUTDOWN_TIMEOUT_MS'),
    ]);
    expect(problems({ HTTP_HEADERS_TIMEOUT_MS: '5000', HTTP_REQUEST_TIMEOUT_MS: '1000' })).toEqual([
      expect.stringContaining('HTTP_HEADERS_TIMEOUT_MS: must not exceed HTTP_REQUEST_TIMEOUT_MS'),
    ]);
    expect(problems({ EVENTS_STREAM_HEARTBEAT_MS: '40000' })).toEqual([
      expect.stringContaining('EVENTS_STREAM_HEARTBEAT_MS: must be less than HTTP_IDLE_TIMEOUT_MS'),
    ]);
    expect(problems({ AUTH_USER_STATUS_TTL_MS: '20000' })).toEqual([
      expect.stringContaining('AUTH_USER_STATUS_TTL_MS: must be less than HTTP_HANDLER_TIMEOUT_MS'),
    ]);
  });

  it('never echoes a secret it refuses', () => {
    expect(() =>
      parseEnv({ DATA_DIR: dataDir, DATABASE_URL: 'mysql://user:hunter2@db/x' }),
    ).toThrow(/^(?!.*hunter2)/s);
  });

  it('refuses to start in production without a strong JWT_SECRET', () => {
    expect(() => parseEnv({ DATA_DIR: dataDir, NODE_ENV: 'production' })).toThrow(
      /JWT_SECRET: is required when NODE_ENV=production/,
    );
    expect(() =>
      parseEnv({ DATA_DIR: dataDir, NODE_ENV: 'production', JWT_SECRET: 'short' }),
    ).toThrow(/JWT_SECRET: must be at least 32/);
    expect(() =>
      parseEnv({ DATA_DIR: dataDir, NODE_ENV: 'production', JWT_SECRET: 'a'.repeat(40) }),
    ).toThrow(/JWT_SECRET: is too weak/);
    const env = parseEnv({
      DATA_DIR: dataDir,
      NODE_ENV: 'production',
      JWT_SECRET: 'k3y-Material-For-Production-Use-0123456789',
    });
    expect(env.auth.jwtSecretGenerated).toBe(false);
  });

  it('seals with ENCRYPTION_KEYS first and still opens with JWT_SECRET', () => {
    const jwt = 'k3y-Material-For-Production-Use-0123456789';
    const key = 'An0ther-Key-For-Sealing-Stored-Secrets-987';
    expect(parseEnv({ DATA_DIR: dataDir, JWT_SECRET: jwt }).auth.sealingSecrets).toEqual([jwt]);
    expect(
      parseEnv({ DATA_DIR: dataDir, JWT_SECRET: jwt, ENCRYPTION_KEYS: ` ${key} , ${jwt}` }).auth
        .sealingSecrets,
    ).toEqual([key, jwt]);
    expect(() =>
      parseEnv({ DATA_DIR: dataDir, JWT_SECRET: jwt, ENCRYPTION_KEYS: `${key},short` }),
    ).toThrow(/ENCRYPTION_KEYS: each key must be at least 32/);
  });

  it('outside production generates a secret once and keeps it in DATA_DIR', () => {
    const first = parseEnv({ DATA_DIR: dataDir });
    expect(first.auth.jwtSecretGenerated).toBe(true);
    expect(first.auth.jwtSecret.length).toBeGreaterThanOrEqual(32);
    const file = join(dataDir, 'jwt-secret');
    expect(readFileSync(file, 'utf8').trim()).toBe(first.auth.jwtSecret);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(parseEnv({ DATA_DIR: dataDir }).auth.jwtSecret).toBe(first.auth.jwtSecret);
  });

  it('requires ADMIN_EMAIL and ADMIN_PASSWORD together', () => {
    expect(() => parseEnv({ DATA_DIR: dataDir, ADMIN_EMAIL: 'root@example.com' })).toThrow(
      /ADMIN_EMAIL and ADMIN_PASSWORD: set both or neither/,
    );
    expect(
      parseEnv({
        DATA_DIR: dataDir,
        ADMIN_EMAIL: 'Root@Example.com',
        ADMIN_PASSWORD: 'long-enough',
      }).auth.adminEmail,
    ).toBe('root@example.com');
  });

  it('turns single sign-on on with an issuer, client id and secret, and only with all three', () => {
    const oidc = (vars: Record<string, string>) =>
      parseEnv({ DATA_DIR: dataDir, PUBLIC_URL: 'https://app.example.com/', ...vars }).auth.oidc;
    const client = { OIDC_CLIENT_ID: 'keel', OIDC_CLIENT_SECRET: 's3cret' };
    expect(oidc({})).toBeUndefined();
    expect(oidc({ OIDC_ISSUER: 'https://id.example.com/', ...client })).toEqual({
      issuer: 'https://id.example.com/',
      clientId: 'keel',
      clientSecret: 's3cret',
      scopes: 'openid email profile',
      redirectUri: 'https://app.example.com/v1/auth/oidc/callback',
      allowHttp: false,
    });
    expect(() => oidc({ OIDC_ISSUER: 'https://id.example.com' })).toThrow(/set all three or none/);
    expect(() =>
      oidc({ OIDC_ISSUER: 'https://id.example.com', ...client, OIDC_SCOPES: 'email' }),
    ).toThrow(/OIDC_SCOPES: must include openid/);
  });

  it('accepts a plain-http issuer only on a loopback address or when allowed', () => {
    const oidc = (vars: Record<string, string>) =>
      parseEnv({ DATA_DIR: dataDir, OIDC_CLIENT_ID: 'keel', OIDC_CLIENT_SECRET: 's', ...vars }).auth
        .oidc;
    expect(oidc({ OIDC_ISSUER: 'http://127.0.0.1:4000' })?.allowHttp).toBe(true);
    expect(oidc({ OIDC_ISSUER: 'http://localhost:4000/realms/x' })?.allowHttp).toBe(true);
    expect(() => oidc({ OIDC_ISSUER: 'http://id.internal' })).toThrow(/OIDC_ISSUER: must be https/);
    expect(oidc({ OIDC_ISSUER: 'http://id.internal', OIDC_ALLOW_HTTP: 'true' })?.allowHttp).toBe(
      true,
    );
  });

  it('reads TRUST_PROXY as a switch, a hop count or trusted addresses', () => {
    const trust = (value: string) =>
      parseEnv({ DATA_DIR: dataDir, TRUST_PROXY: value }).app.trustProxy;
    expect(trust('true')).toBe(true);
    expect(trust('false')).toBe(false);
    expect(trust('1')).toBe(1);
    expect(trust('10.0.0.0/8, 127.0.0.1')).toEqual(['10.0.0.0/8', '127.0.0.1']);
    expect(() => trust('everyone')).toThrow(/TRUST_PROXY: must be true, false, a hop count/);
  });

  it('turns tracing on only when an OTLP endpoint is set and nothing turns it off', () => {
    const endpoint = 'http://127.0.0.1:4318';
    expect(parseTracingEnv({})).toEqual({ enabled: false, serviceName: undefined });
    expect(parseTracingEnv({ OTEL_EXPORTER_OTLP_ENDPOINT: endpoint }).enabled).toBe(true);
    expect(
      parseTracingEnv({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: `${endpoint}/v1/traces` }).enabled,
    ).toBe(true);
    expect(
      parseTracingEnv({ OTEL_EXPORTER_OTLP_ENDPOINT: endpoint, OTEL_SDK_DISABLED: 'true' }).enabled,
    ).toBe(false);
    expect(
      parseTracingEnv({ OTEL_EXPORTER_OTLP_ENDPOINT: endpoint, OTEL_TRACES_EXPORTER: 'none' })
        .enabled,
    ).toBe(false);
    // A bad value turns tracing off at the start; parseEnv then names it.
    const grpc = { OTEL_EXPORTER_OTLP_ENDPOINT: endpoint, OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' };
    expect(parseTracingEnv(grpc).enabled).toBe(false);
    expect(() => parseEnv({ DATA_DIR: dataDir, ...grpc })).toThrow(
      /OTEL_EXPORTER_OTLP_PROTOCOL: must be one of http\/protobuf, http\/json/,
    );
    expect(() =>
      parseEnv({ DATA_DIR: dataDir, OTEL_EXPORTER_OTLP_ENDPOINT: 'collector:4318' }),
    ).toThrow(/OTEL_EXPORTER_OTLP_ENDPOINT: must be a http: or https:\/\/ URL/);
  });

  it('names the service after OTEL_SERVICE_NAME, else service.name in OTEL_RESOURCE_ATTRIBUTES', () => {
    expect(parseTracingEnv({ OTEL_SERVICE_NAME: 'edge-api' }).serviceName).toBe('edge-api');
    expect(
      parseTracingEnv({ OTEL_RESOURCE_ATTRIBUTES: 'deployment.environment=prod,service.name=x' })
        .serviceName,
    ).toBe('x');
    expect(parseEnv({ DATA_DIR: dataDir }).tracing).toEqual({
      enabled: false,
      serviceName: undefined,
    });
  });

  it('reads the webhook retry schedule as growing durations, about a day by default', () => {
    const { retryScheduleMs } = parseEnv({ DATA_DIR: dataDir }).webhooks;
    const total = retryScheduleMs.reduce((a, b) => a + b, 0);
    expect(total).toBeGreaterThan(20 * 3_600_000);
    expect(total).toBeLessThan(30 * 3_600_000);
    expect(
      parseEnv({ DATA_DIR: dataDir, WEBHOOK_RETRY_SCHEDULE: '250ms, 2s,1m,1h' }).webhooks
        .retryScheduleMs,
    ).toEqual([250, 2_000, 60_000, 3_600_000]);
    for (const bad of ['5s,1s', '5 seconds', '1d', ''.padEnd(40, 'x')]) {
      expect(() => parseEnv({ DATA_DIR: dataDir, WEBHOOK_RETRY_SCHEDULE: bad })).toThrow(
        /WEBHOOK_RETRY_SCHEDULE: must be up to 30 growing durations/,
      );
    }
    expect(() =>
      parseEnv({ DATA_DIR: dataDir, WEBHOOK_CONCURRENCY: '2', WEBHOOK_ENDPOINT_CONCURRENCY: '4' }),
    ).toThrow(/WEBHOOK_ENDPOINT_CONCURRENCY: must not exceed WEBHOOK_CONCURRENCY/);
  });
});
