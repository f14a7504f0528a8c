import {
  Check,
  Column,
  CreateDateColumn,
  Entity,
  Index,
  JoinColumn,
  ManyToOne,
  PrimaryGeneratedColumn,
  Unique,
} from 'typeorm';
import { Webhook } from './webhook.entity';

export const DELIVERY_STATES = ['pending', 'sending', 'delivered', 'failed'] as const;
export type DeliveryState = (typeof DELIVERY_STATES)[number];

/**
 * One event for one endpoint: the record of truth whichever queue runs it. `id` is the
 * `webhook-id` header, the same on every attempt; `seq` is the order deliveries were created
 * in, which is the events' order, so deliveries of one aggregate are sent in `seq` order.
 */
@Entity('webhook_deliveries')
@Unique('webhook_deliveries_id_key', ['id'])
@Check('webhook_deliveries_state_check', `state IN ('pending', 'sending', 'delivered', 'failed')`)
@Index('webhook_deliveries_webhook_id_event_id_key', ['webhookId', 'eventId'], { unique: true })
@Index('webhook_deliveries_webhook_id_seq_idx', ['webhookId', 'seq'])
// Partial indexes on unfinished deliveries: kept by the migration.
@Index('webhook_deliveries_unfinished_idx', { synchronize: false })
@Index('webhook_deliveries_order_idx', { synchronize: false })
export class WebhookDelivery {
  @PrimaryGeneratedColumn('identity', { type: 'bigint', generatedIdentity: 'ALWAYS' })
  seq!: string;

  @Column('uuid')
  id!: string;

  @Column({ name: 'webhook_id', type: 'uuid' })
  webhookId!: string;

  @ManyToOne(() => Webhook, { onDelete: 'CASCADE' })
  @JoinColumn({
    name: 'webhook_id',
    foreignKeyConstraintName: 'webhook_deliveries_webhook_id_fkey',
  })
  webhook?: Webhook;

  /** The outbox event; null for a ping. */
  @Column({ name: 'event_id', type: 'uuid', nullable: true })
  eventId!: string | null;

  @Column({ name: 'event_type', type: 'varchar', length: 100 })
  eventType!: string;

  @Column({ name: 'aggregate_id', type: 'varchar', length: 100 })
  aggregateId!: string;

  /** The body sent: the event as the audit log shows it. */
  @Column({ type: 'jsonb' })
  payload!: object;

  @Column({ type: 'varchar', length: 20, default: 'pending' })
  state!: DeliveryState;

  @Column({ type: 'integer', default: 0 })
  attempts!: number;

  @Column({ name: 'next_attempt_at', type: 'timestamptz', default: () => 'now()' })
  nextAttemptAt!: Date;

  /** While `sending`: until when the runner that claimed it may; after that it is claimed again. */
  @Column({ name: 'lease_until', type: 'timestamptz', nullable: true })
  leaseUntil!: Date | null;

  @Column({ name: 'last_status_code', type: 'integer', nullable: true })
  lastStatusCode!: number | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @Column({ name: 'finished_at', type: 'timestamptz', nullable: true })
  finishedAt!: Date | null;
}
