import type { Instrumentation } from '@opentelemetry/instrumentation';
import type * as SdkNode from '@opentelemetry/sdk-node';
import { parseTracingEnv } from '../config/env';
import { setTracingEnabled } from './tracing-state';

/**
 * The OpenTelemetry SDK, started by the first import of each app's main.ts (before any
 * module it instruments is loaded) and only when an OTLP endpoint is configured. Without
 * one, nothing here loads: `@opentelemetry/api` alone stays a no-op, and the helpers in
 * trace-context.ts cost a boolean check.
 *
 * Everything else comes from the standard variables, read by the SDK itself:
 * `OTEL_EXPORTER_OTLP_*` (endpoint, protocol `http/protobuf` or `http/json`, headers),
 * `OTEL_TRACES_SAMPLER`/`_ARG`, `OTEL_BSP_*`, `OTEL_RESOURCE_ATTRIBUTES`, `OTEL_PROPAGATORS`.
 */
let sdk: { shutdown(): Promise<void> } | undefined;

/** Starts the SDK if OTLP is configured; `serviceName` unless `OTEL_SERVICE_NAME` says otherwise. */
export function startTracing(defaultServiceName: string): void {
  const env = parseTracingEnv();
  if (!env.enabled || sdk) return;
  /* eslint-disable @typescript-eslint/no-require-imports -- loaded only when tracing is on */
  const { startNodeSdk } = require('@opentelemetry/sdk-node') as typeof SdkNode;
  sdk = startNodeSdk({
    ...(env.serviceName === undefined && {
      resourceAttributes: { 'service.name': defaultServiceName },
    }),
    // Traces only: metrics have their own exporter (METRICS_PORT), logs go to stdout.
    metricReaders: [],
    logRecordProcessors: [],
    instrumentations: instrumentations(),
  });
  setTracingEnabled(true);
  /* eslint-enable @typescript-eslint/no-require-imports */
}

/**
 * An explicit list, not auto-instrumentations-node: each one is a dependency Keel uses, and
 * nothing else is patched. BullMQ is traced through its own `telemetry` option (see
 * bullmq-job-queue.ts), Keel's outbox, relay, consumers and jobs by spans of their own.
 */
function instrumentations(): Instrumentation[] {
  /* eslint-disable @typescript-eslint/no-require-imports -- loaded only when tracing is on */
  const { HttpInstrumentation } =
    require('@opentelemetry/instrumentation-http') as typeof import('@opentelemetry/instrumentation-http');
  const { UndiciInstrumentation } =
    require('@opentelemetry/instrumentation-undici') as typeof import('@opentelemetry/instrumentation-undici');
  const { FastifyOtelInstrumentation } = require('@fastify/otel') as typeof import('@fastify/otel');
  const { PgInstrumentation } =
    require('@opentelemetry/instrumentation-pg') as typeof import('@opentelemetry/instrumentation-pg');
  const { IORedisInstrumentation } =
    require('@opentelemetry/instrumentation-ioredis') as typeof import('@opentelemetry/instrumentation-ioredis');
  const { AmqplibInstrumentation } =
    require('@opentelemetry/instrumentation-amqplib') as typeof import('@opentelemetry/instrumentation-amqplib');
  /* eslint-enable @typescript-eslint/no-require-imports */
  return [
    new HttpInstrumentation({
      // Probes and scrapes would be most of the traces, and say nothing.
      ignoreIncomingRequestHook: (request) => request.url?.startsWith('/health/') ?? false,
    }),
    new UndiciInstrumentation(),
    // Registers itself on every Fastify instance as it is created: route and handler spans.
    new FastifyOtelInstrumentation({
      registerOnInitialization: true,
      // A span per request and per handler; one per hook (a dozen) says little.
      instrumentHooks: false,
      ignorePaths: (route) => route.url.startsWith('/health/'),
    }),
    // Queries outside any traced work (pool checks, the relay's idle polls) make no traces.
    new PgInstrumentation({ requireParentSpan: true }),
    new IORedisInstrumentation({ requireParentSpan: true }),
    new AmqplibInstrumentation(),
  ];
}

/**
 * Flushes the spans still buffered and stops the SDK, within `timeoutMs`: a collector that
 * does not answer costs the shutdown that long at most, and its spans are lost.
 */
export async function stopTracing(timeoutMs = 2_000): Promise<void> {
  const running = sdk;
  if (!running) return;
  sdk = undefined;
  setTracingEnabled(false);
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([
    running.shutdown().catch(() => undefined),
    new Promise<void>((resolve) => {
      timer = setTimeout(resolve, timeoutMs);
      timer.unref();
    }),
  ]);
  clearTimeout(timer);
}
