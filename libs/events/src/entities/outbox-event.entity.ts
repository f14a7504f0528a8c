import type { TraceCarrier } from '@keel/core';
import { Column, Entity, Index, PrimaryGeneratedColumn, Unique } from 'typeorm';

/**
 * One domain event, written in the transaction of the change that caused it. The relay
 * gives rows their stream `position`, publishes them in that order and stamps
 * `publishedAt`; the rows stay as the audit log.
 */
@Entity('outbox')
@Unique('outbox_id_key', ['id'])
// Partial index on unpublished rows: kept by the migration.
@Index('outbox_unpublished_idx', { synchronize: false })
@Index('outbox_type_seq_idx', ['type', 'seq'])
@Index('outbox_aggregate_id_seq_idx', ['aggregateId', 'seq'])
export class OutboxEvent {
  /** Insert order (the audit log's). A bigint: read as a string. */
  @PrimaryGeneratedColumn('identity', { type: 'bigint', generatedIdentity: 'ALWAYS' })
  seq!: string;

  @Column('uuid')
  id!: string;

  /** Dotted lower case: `item.created`, `user.registered`, `auth.refresh_reused`, … */
  @Column({ type: 'varchar', length: 100 })
  type!: string;

  @Column({ name: 'aggregate_type', type: 'varchar', length: 50 })
  aggregateType!: string;

  @Column({ name: 'aggregate_id', type: 'varchar', length: 100 })
  aggregateId!: string;

  @Column({ name: 'actor_id', type: 'uuid', nullable: true })
  actorId!: string | null;

  @Column({ name: 'request_id', type: 'varchar', length: 128, nullable: true })
  requestId!: string | null;

  @Column({ type: 'jsonb' })
  data!: object;

  @Index('outbox_occurred_at_idx')
  @Column({ name: 'occurred_at', type: 'timestamptz', precision: 3, default: () => 'now()' })
  occurredAt!: Date;

  @Column({ name: 'published_at', type: 'timestamptz', precision: 3, nullable: true })
  publishedAt!: Date | null;

  /**
   * The stream order, set by the relay when it claims the row. Positions are handed out under
   * the relay's lock in the order rows became visible, so once a reader sees a position every
   * lower one is visible too, which `seq` (taken at insert) does not promise. Null until claimed.
   */
  @Index('outbox_position_key', { unique: true })
  @Column({ type: 'bigint', nullable: true })
  position!: string | null;

  /** Until when the relay that claimed the row may publish it; another relay waits. */
  @Column({ name: 'claimed_until', type: 'timestamptz', precision: 3, nullable: true })
  claimedUntil!: Date | null;

  /**
   * The W3C trace context (`traceparent`, `tracestate`) of the work that wrote the row: the
   * relay publishes the event as part of that trace. Null when tracing is off.
   */
  @Column({ name: 'trace_context', type: 'jsonb', nullable: true })
  traceContext!: TraceCarrier | null;
}
