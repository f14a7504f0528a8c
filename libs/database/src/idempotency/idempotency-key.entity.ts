import { Column, CreateDateColumn, Entity, Index, PrimaryColumn } from 'typeorm';

/**
 * The first response to a request sent with an `Idempotency-Key`, kept for 24 hours so a
 * retry of the same request gets the same answer instead of doing the work twice.
 * `scope` is who sent it and to which operation (for example `items.create:<user id>`).
 */
@Entity('idempotency_keys')
export class IdempotencyKey {
  @PrimaryColumn({
    type: 'varchar',
    length: 100,
    primaryKeyConstraintName: 'idempotency_keys_pkey',
  })
  scope!: string;

  @PrimaryColumn({
    type: 'varchar',
    length: 255,
    primaryKeyConstraintName: 'idempotency_keys_pkey',
  })
  key!: string;

  /** SHA-256 of the request; the same key with another request is refused. */
  @Column({ name: 'request_hash', type: 'char', length: 64 })
  requestHash!: string;

  @Column({ name: 'status_code', type: 'integer', nullable: true })
  statusCode!: number | null;

  @Column({ type: 'jsonb', nullable: true })
  response!: unknown;

  @Index('idempotency_keys_created_at_idx')
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;
}
