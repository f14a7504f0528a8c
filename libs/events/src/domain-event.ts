import { captureTraceContext, currentRequestId, uuidv7 } from '@keel/core';
import type { EntityManager } from 'typeorm';
import { OutboxEvent } from './entities/outbox-event.entity';

/** An event as consumers receive it: over RabbitMQ, the local bus, SSE and the audit log. */
export interface IntegrationEvent {
  id: string;
  /** Insert order (the outbox sequence), as a decimal string. */
  seq: string;
  /**
   * Stream order, as a decimal string: the relay publishes in this order, and the event
   * stream's ids and `Last-Event-ID` are positions. Null until the relay claimed the row.
   */
  position: string | null;
  type: string;
  aggregateType: string;
  aggregateId: string;
  actorId: string | null;
  requestId: string | null;
  occurredAt: string;
  /** When the relay handed it to the broker; null while it waits. */
  publishedAt: string | null;
  data: Record<string, unknown>;
}

export interface NewEvent {
  type: string;
  aggregateType: string;
  aggregateId: string;
  actorId: string | null;
  data: Record<string, unknown>;
}

/**
 * Stores an event in the caller's transaction: it exists exactly when the change does.
 * The request id comes from the request being served, if any, and the trace context from
 * the span this runs in.
 */
export async function recordEvent(tx: EntityManager, event: NewEvent): Promise<void> {
  await tx.insert(OutboxEvent, {
    id: uuidv7(),
    ...event,
    requestId: currentRequestId() ?? null,
    traceContext: captureTraceContext() ?? null,
  });
}

/**
 * The outbox insert for one statement that changes an aggregate and records its event (a
 * data-modifying CTE), so the change and the event still commit together. Its SELECT gives,
 * in order: id, type, aggregate_type, aggregate_id, actor_id, request_id, data, trace_context
 * (`captureTraceContext()`, a jsonb parameter, null when tracing is off).
 */
export const OUTBOX_INSERT =
  'INSERT INTO outbox (id, type, aggregate_type, aggregate_id, actor_id, request_id, data, trace_context)';

/** Writes a `timestamptz` in SQL exactly as `Date.prototype.toISOString()` does. */
export function isoTimestampSql(column: string): string {
  return `to_char(${column} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;
}

export function toIntegrationEvent(row: OutboxEvent): IntegrationEvent {
  return {
    id: row.id,
    seq: String(row.seq),
    position: row.position === null ? null : String(row.position),
    type: row.type,
    aggregateType: row.aggregateType,
    aggregateId: row.aggregateId,
    actorId: row.actorId,
    requestId: row.requestId,
    occurredAt: row.occurredAt.toISOString(),
    publishedAt: row.publishedAt?.toISOString() ?? null,
    data: row.data as Record<string, unknown>,
  };
}

export function isIntegrationEvent(value: unknown): value is IntegrationEvent {
  if (typeof value !== 'object' || value === null) return false;
  const e = value as Record<string, unknown>;
  return (
    typeof e.id === 'string' &&
    typeof e.seq === 'string' &&
    typeof e.position === 'string' &&
    typeof e.type === 'string' &&
    typeof e.aggregateId === 'string' &&
    typeof e.occurredAt === 'string' &&
    typeof e.data === 'object' &&
    e.data !== null
  );
}
