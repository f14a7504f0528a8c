import { Column, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn } from 'typeorm';
import { WebhookDelivery } from './webhook-delivery.entity';

export const ATTEMPT_OUTCOMES = [
  'success',
  'http_error',
  'timeout',
  'network',
  'refused',
  'too_large',
] as const;
export type AttemptOutcome = (typeof ATTEMPT_OUTCOMES)[number];

/** One HTTP request of a delivery, as the receiver answered it (or did not). */
@Entity('webhook_attempts')
@Index('webhook_attempts_delivery_seq_id_idx', ['deliverySeq', 'id'])
export class WebhookAttempt {
  @PrimaryGeneratedColumn('identity', { type: 'bigint', generatedIdentity: 'ALWAYS' })
  id!: string;

  @Column({ name: 'delivery_seq', type: 'bigint' })
  deliverySeq!: string;

  @ManyToOne(() => WebhookDelivery, { onDelete: 'CASCADE' })
  @JoinColumn({
    name: 'delivery_seq',
    foreignKeyConstraintName: 'webhook_attempts_delivery_seq_fkey',
  })
  delivery?: WebhookDelivery;

  /** 1 for the first attempt, counting retries and redeliveries. */
  @Column({ type: 'integer' })
  number!: number;

  @Column({ name: 'started_at', type: 'timestamptz' })
  startedAt!: Date;

  @Column({ name: 'latency_ms', type: 'integer' })
  latencyMs!: number;

  @Column({ type: 'varchar', length: 20 })
  outcome!: AttemptOutcome;

  @Column({ name: 'status_code', type: 'integer', nullable: true })
  statusCode!: number | null;

  @Column({ type: 'varchar', length: 500, nullable: true })
  error!: string | null;

  /** The first KiB of the answer, as text. */
  @Column({ name: 'response_prefix', type: 'text', nullable: true })
  responsePrefix!: string | null;
}
