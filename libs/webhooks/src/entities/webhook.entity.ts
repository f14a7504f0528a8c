import { User } from '@keel/users';
import {
  Column,
  CreateDateColumn,
  Entity,
  Index,
  JoinColumn,
  ManyToOne,
  PrimaryColumn,
  UpdateDateColumn,
} from 'typeorm';

/**
 * A user's subscription of a URL to event types. The signing secrets are stored sealed (see
 * WebhookSecrets): the server must be able to sign with them, so they cannot be hashed. The
 * circuit columns are the endpoint's breaker, shared by every process that sends.
 */
@Entity('webhooks')
export class Webhook {
  @PrimaryColumn('uuid')
  id!: string;

  @Index('webhooks_owner_id_idx')
  @Column({ name: 'owner_id', type: 'uuid' })
  ownerId!: string;

  @ManyToOne(() => User, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'owner_id', foreignKeyConstraintName: 'webhooks_owner_id_fkey' })
  owner?: User;

  @Column({ type: 'varchar', length: 2048 })
  url!: string;

  @Column({ type: 'varchar', length: 200, nullable: true })
  description!: string | null;

  /** Exact types (`item.created`) or prefixes ending in `*` (`item.*`, or `*` for all). */
  @Column({ name: 'event_types', type: 'text', array: true })
  eventTypes!: string[];

  /** The signing secret (`whsec_…`), sealed. */
  @Column({ type: 'text' })
  secret!: string;

  /** After a rotation: the previous secret, sealed, signing too until `previousSecretExpiresAt`. */
  @Column({ name: 'previous_secret', type: 'text', nullable: true })
  previousSecret!: string | null;

  @Column({ name: 'previous_secret_expires_at', type: 'timestamptz', nullable: true })
  previousSecretExpiresAt!: Date | null;

  /** Set when the endpoint failed for too long (or its owner turned it off); nothing is sent. */
  @Column({ name: 'disabled_at', type: 'timestamptz', nullable: true })
  disabledAt!: Date | null;

  @Column({ name: 'disabled_reason', type: 'varchar', length: 200, nullable: true })
  disabledReason!: string | null;

  /** Failed attempts in a row; at WEBHOOK_BREAKER_FAILURES the circuit opens. */
  @Column({ name: 'consecutive_failures', type: 'integer', default: 0 })
  consecutiveFailures!: number;

  /** The first failure since the last success: the endpoint is disabled when it is too old. */
  @Column({ name: 'failing_since', type: 'timestamptz', nullable: true })
  failingSince!: Date | null;

  /** While in the future and the circuit is open, the endpoint's deliveries wait. */
  @Column({ name: 'circuit_open_until', type: 'timestamptz', nullable: true })
  circuitOpenUntil!: Date | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt!: Date;
}
