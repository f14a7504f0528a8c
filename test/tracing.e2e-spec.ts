import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import request from 'supertest';
import {
  createTestDatabase,
  eventually,
  finishedJob,
  itemsCsv,
  profile,
  signUp,
  startApiProcess,
  startOtlpReceiver,
  startWorkerProcess,
  tempDataDir,
  type OtlpReceiver,
  type ReceivedSpan,
  type SpawnedProcess,
} from '@keel/testing';

/**
 * Tracing end to end: the built API (and, with RabbitMQ, the worker) as real processes
 * exporting OTLP/HTTP (JSON) to a receiver this test runs on 127.0.0.1.
 */
jest.setTimeout(240_000);

const SERVER = 2;
const PRODUCER = 4;
const CONSUMER = 5;
const PROBE = join(__dirname, 'support/loaded-modules.js');
const rabbitmqUrl = process.env.RABBITMQ_URL;
/** The full profile with a broker: the relay and the jobs run in a worker process of their own. */
const twoProcesses = profile.name === 'full' && rabbitmqUrl !== undefined;

function newTraceparent(): { traceId: string; spanId: string; header: string } {
  const traceId = randomBytes(16).toString('hex');
  const spanId = randomBytes(8).toString('hex');
  return { traceId, spanId, header: `00-${traceId}-${spanId}-01` };
}

function exitProbe(stderr: string): unknown {
  const line = stderr.split('\n').find((l) => l.includes('openTelemetrySdkLoaded'));
  return line === undefined ? undefined : JSON.parse(line);
}

describe('tracing', () => {
  let database: Awaited<ReturnType<typeof createTestDatabase>> | undefined;
  let dataDir: string;
  let base: Record<string, string>;

  beforeAll(async () => {
    database = profile.databaseUrl ? await createTestDatabase(profile.databaseUrl) : undefined;
    dataDir = tempDataDir('keel-tracing-');
    base = {
      DATA_DIR: dataDir,
      LOG_LEVEL: 'info',
      // A refresh token used twice is a reuse at once: the request logs a warning.
      REFRESH_REUSE_GRACE_SECONDS: '0',
      NODE_OPTIONS: `--require ${PROBE}`,
      ...(database ? { DATABASE_URL: database.url } : {}),
      ...(profile.redisUrl
        ? {
            REDIS_URL: profile.redisUrl,
            REDIS_KEY_PREFIX: `keel-test:${randomBytes(4).toString('hex')}:`,
          }
        : {}),
      ...(twoProcesses && rabbitmqUrl ? { RABBITMQ_URL: rabbitmqUrl } : {}),
    };
  });
  afterAll(async () => {
    await database?.drop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  describe('with an OTLP endpoint', () => {
    let receiver: OtlpReceiver;
    let api: SpawnedProcess & { url: string };
    let worker: SpawnedProcess | undefined;
    let http: ReturnType<typeof request>;

    const inTrace = (traceId: string) => receiver.spans.filter((s) => s.traceId === traceId);
    const find = (traceId: string, test: (s: ReceivedSpan) => boolean) =>
      inTrace(traceId).find(test);

    beforeAll(async () => {
      receiver = await startOtlpReceiver();
      const otel = {
        OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
        OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
        OTEL_BSP_SCHEDULE_DELAY: '100',
      };
      api = await startApiProcess({
        ...base,
        ...otel,
        ...(twoProcesses ? { RUN_WORKERS: 'false' } : {}),
      });
      if (twoProcesses) worker = await startWorkerProcess({ ...base, ...otel });
      http = request(api.url);
    });
    afterAll(async () => {
      for (const child of [api, worker]) child?.child.kill('SIGKILL');
      await receiver.close();
    });

    it('continues an incoming traceparent and answers its trace id in X-Trace-Id', async () => {
      const incoming = newTraceparent();
      const res = await http
        .post('/v1/auth/register')
        .set('traceparent', incoming.header)
        .send({
          email: `tp-${incoming.spanId}@keel.test`,
          password: 'password-long-1',
          displayName: 'T',
        })
        .expect(201);
      expect(res.headers['x-trace-id']).toBe(incoming.traceId);
      await eventually(() => find(incoming.traceId, (s) => s.kind === SERVER) !== undefined);
      expect(find(incoming.traceId, (s) => s.kind === SERVER)).toMatchObject({
        service: 'keel-api',
        parentSpanId: incoming.spanId,
      });
    });

    it('traces one POST /v1/items from the request to its consumers, across processes', async () => {
      const who = await signUp(http);
      const res = await http
        .post('/v1/items')
        .set(who.auth)
        .send({ name: 'Traced', price: '1.00' })
        .expect(201);
      const traceId = res.headers['x-trace-id'];
      expect(traceId).toMatch(/^[0-9a-f]{32}$/);
      const publisher = twoProcesses ? 'keel-worker' : 'keel-api';
      const consumers = twoProcesses ? ['keel-api', 'keel-worker'] : ['keel-api'];
      const processed = () =>
        inTrace(traceId).filter((s) => s.kind === CONSUMER && s.name === 'item.created process');
      await eventually(
        () => consumers.every((service) => processed().some((s) => s.service === service)),
        15_000,
      );

      const server = find(traceId, (s) => s.kind === SERVER);
      expect(server).toMatchObject({
        service: 'keel-api',
        attributes: { 'http.route': '/v1/items' },
      });
      const insert = find(traceId, (s) => {
        const query = s.attributes['db.query.text'];
        return typeof query === 'string' && query.includes('INSERT INTO items');
      });
      expect(insert?.service).toBe('keel-api');
      const publish = find(traceId, (s) => s.name === 'item.created publish');
      expect(publish).toMatchObject({ kind: PRODUCER, service: publisher });
      // The relay's span is a child of the request's work, read back from the outbox row.
      expect(find(traceId, (s) => s.spanId === publish?.parentSpanId)?.service).toBe('keel-api');
      expect(
        processed()
          .map((s) => s.service)
          .sort(),
      ).toEqual(consumers);
    });

    it('writes the trace and span ids in the log lines written inside a request', async () => {
      const who = await signUp(http);
      await http.post('/v1/auth/refresh').send({ refreshToken: who.refreshToken }).expect(200);
      const incoming = newTraceparent();
      const reused = await http
        .post('/v1/auth/refresh')
        .set('traceparent', incoming.header)
        .send({ refreshToken: who.refreshToken });
      const reqId = reused.headers['x-request-id'];
      await eventually(() => api.logs.some((l) => l.reqId === reqId && l.context === 'Http'));

      const lines = api.logs.filter((l) => l.reqId === reqId);
      // The handler's own warning and the access line, at least.
      expect(lines.map((l) => l.msg)).toEqual(
        expect.arrayContaining(['refresh token reused; family revoked', 'request completed']),
      );
      for (const line of lines) {
        expect(line).toMatchObject({
          traceId: incoming.traceId,
          spanId: expect.stringMatching(/^[0-9a-f]{16}$/),
        });
      }
    });

    it('runs a job queued by a request in its trace, each parser window a child span of the job', async () => {
      const who = await signUp(http);
      const incoming = newTraceparent();
      const res = await http
        .post('/v1/items/imports')
        .set(who.auth)
        .set('traceparent', incoming.header)
        .set('content-type', 'text/csv')
        .send(itemsCsv(5))
        .expect(202);
      const job = await finishedJob(http, who, (res.body as { id: string }).id);
      expect(job.state).toBe('succeeded');
      const jobSpan = () => find(incoming.traceId, (s) => s.name === 'job items.import');
      await eventually(() => jobSpan() !== undefined, 15_000);
      // BullMQ hands it to the worker process in the full profile, with the request's context.
      expect(jobSpan()?.service).toBe(twoProcesses ? 'keel-worker' : 'keel-api');
      await eventually(
        () => find(incoming.traceId, (s) => s.name === 'items.import parse') !== undefined,
      );
      expect(find(incoming.traceId, (s) => s.name === 'items.import parse')?.parentSpanId).toBe(
        jobSpan()?.spanId,
      );
    });

    it('has loaded the SDK, and stops promptly on SIGTERM', async () => {
      const started = Date.now();
      api.child.kill('SIGTERM');
      expect(await api.exited).toBe(0);
      expect(Date.now() - started).toBeLessThan(10_000);
      expect(exitProbe(api.stderr())).toEqual({ openTelemetrySdkLoaded: true });
      expect(receiver.refused).toEqual([]);
    });
  });

  describe('at shutdown', () => {
    it('flushes the spans still buffered before the process exits', async () => {
      const receiver = await startOtlpReceiver();
      try {
        const api = await startApiProcess({
          ...base,
          OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
          OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
          // Nothing would go out on its own before the test ends.
          OTEL_BSP_SCHEDULE_DELAY: '600000',
        });
        const incoming = newTraceparent();
        await request(api.url)
          .post('/v1/auth/register')
          .set('traceparent', incoming.header)
          .send({
            email: `flush-${incoming.spanId}@keel.test`,
            password: 'password-long-1',
            displayName: 'F',
          })
          .expect(201);
        expect(receiver.spans).toEqual([]);
        api.child.kill('SIGTERM');
        expect(await api.exited).toBe(0);
        expect(
          receiver.spans.filter((s) => s.traceId === incoming.traceId && s.kind === SERVER),
        ).toHaveLength(1);
      } finally {
        await receiver.close();
      }
    });

    it('does not wait long for a collector that never answers', async () => {
      // Accepts connections and never answers: the exporter's own timeout is 10 s.
      const silent = createServer(() => undefined);
      await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
      try {
        const { port } = silent.address() as AddressInfo;
        const api = await startApiProcess({
          ...base,
          OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${port}`,
          OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
          OTEL_BSP_SCHEDULE_DELAY: '600000',
        });
        await request(api.url).get('/v1/items').expect(200);
        const stopping = Date.now();
        api.child.kill('SIGTERM');
        expect(await api.exited).toBe(0);
        expect(Date.now() - stopping).toBeLessThan(6_000);
      } finally {
        silent.closeAllConnections();
        await new Promise((resolve) => silent.close(resolve));
      }
    });
  });

  describe('without an OTLP endpoint', () => {
    it('loads no SDK and sends no X-Trace-Id', async () => {
      const api = await startApiProcess(base);
      try {
        const incoming = newTraceparent();
        const res = await request(api.url)
          .post('/v1/auth/register')
          .set('traceparent', incoming.header)
          .send({
            email: `off-${incoming.spanId}@keel.test`,
            password: 'password-long-1',
            displayName: 'O',
          })
          .expect(201);
        expect(res.headers['x-trace-id']).toBeUndefined();
        const reqId = res.headers['x-request-id'];
        await eventually(() => api.logs.some((l) => l.reqId === reqId));
        expect(api.logs.filter((l) => 'traceId' in l)).toEqual([]);
      } finally {
        api.child.kill('SIGTERM');
        expect(await api.exited).toBe(0);
      }
      expect(exitProbe(api.stderr())).toEqual({ openTelemetrySdkLoaded: false });
    });
  });
});
