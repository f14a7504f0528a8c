import {
  context,
  isSpanContextValid,
  propagation,
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  trace,
  type Attributes,
  type Context,
  type Link,
  type Span,
} from '@opentelemetry/api';
import { tracingEnabled } from './tracing-state';

/**
 * Trace context across Keel's own asynchronous boundaries (outbox rows, broker messages,
 * jobs), as W3C `traceparent` / `tracestate` strings. With tracing off every helper returns
 * at once and runs the work as it is.
 */
export interface TraceCarrier {
  traceparent?: string;
  tracestate?: string;
}

const tracer = () => trace.getTracer('keel');

/** The ids of the span this code runs in, for log lines and the `X-Trace-Id` header. */
export function currentTraceIds(): { traceId: string; spanId: string } | undefined {
  if (!tracingEnabled()) return undefined;
  const span = trace.getSpanContext(context.active());
  if (!span || !isSpanContextValid(span)) return undefined;
  return { traceId: span.traceId, spanId: span.spanId };
}

/** The current context as W3C headers, to store or send with work that runs later. */
export function captureTraceContext(): TraceCarrier | undefined {
  if (!tracingEnabled()) return undefined;
  const carrier: TraceCarrier = {};
  propagation.inject(context.active(), carrier);
  return carrier.traceparent === undefined ? undefined : carrier;
}

/** Adds the current context's `traceparent` (and `tracestate`) to outgoing message headers. */
export function injectTraceContext(headers: Record<string, unknown>): void {
  if (tracingEnabled()) propagation.inject(context.active(), headers);
}

/** The context a carrier describes; none (a new trace) without one. */
export function extractTraceContext(carrier: unknown): Context {
  if (!tracingEnabled() || typeof carrier !== 'object' || carrier === null) return ROOT_CONTEXT;
  return propagation.extract(ROOT_CONTEXT, carrier);
}

export interface SpanOptions {
  kind?: 'internal' | 'producer' | 'consumer';
  attributes?: Attributes;
  /** The parent: a context read from a carrier. The active context when absent. */
  parent?: Context;
  /** Contexts this work follows from without being their child. */
  links?: Context[];
}

const KINDS = {
  internal: SpanKind.INTERNAL,
  producer: SpanKind.PRODUCER,
  consumer: SpanKind.CONSUMER,
} as const;

/**
 * Runs `work` in a new span, active for everything it calls, and ends the span when it
 * settles (an error is recorded on it and rethrown).
 */
export function inSpan<T>(name: string, options: SpanOptions, work: (span?: Span) => T): T {
  if (!tracingEnabled()) return work();
  const parent = options.parent ?? context.active();
  const links = (options.links ?? []).flatMap((linked): Link[] => {
    const span = trace.getSpanContext(linked);
    return span && isSpanContextValid(span) ? [{ context: span }] : [];
  });
  const span = tracer().startSpan(
    name,
    { kind: KINDS[options.kind ?? 'internal'], attributes: options.attributes, links },
    parent,
  );
  const failed = (error: unknown) => {
    span.recordException(error instanceof Error ? error : String(error));
    span.setStatus({ code: SpanStatusCode.ERROR });
  };
  let result: T;
  try {
    result = context.with(trace.setSpan(parent, span), () => work(span));
  } catch (error) {
    failed(error);
    span.end();
    throw error;
  }
  if (result instanceof Promise) {
    return result.then(
      (value: unknown) => {
        span.end();
        return value;
      },
      (error: unknown) => {
        failed(error);
        span.end();
        throw error;
      },
    ) as T;
  }
  span.end();
  return result;
}

/**
 * Runs `work` outside whatever trace the caller is in: for work started by one request that
 * serves others too (the relay's batches), which gets its trace from its data instead.
 */
export function outsideTrace<T>(work: () => T): T {
  return tracingEnabled() ? context.with(ROOT_CONTEXT, work) : work();
}

/** Runs `work` with `parent` as the active context (a job's, a message's). */
export function withTraceContext<T>(parent: Context, work: () => T): T {
  return tracingEnabled() ? context.with(parent, work) : work();
}
