import { User } from '@keel/users';
import {
  Check,
  Column,
  CreateDateColumn,
  Entity,
  Index,
  JoinColumn,
  ManyToOne,
  PrimaryColumn,
} from 'typeorm';

export const AUTH_TOKEN_KINDS = ['email_verification', 'password_reset'] as const;
export type AuthTokenKind = (typeof AUTH_TOKEN_KINDS)[number];

/**
 * A single-use token sent by mail. The mail carries the token; only its SHA-256 is stored.
 * Using it sets `used_at` in the same statement that checks kind, expiry and earlier use.
 */
@Entity('auth_tokens')
@Check('auth_tokens_kind_check', `kind IN ('email_verification', 'password_reset')`)
export class AuthToken {
  @PrimaryColumn('uuid')
  id!: string;

  @Column({ type: 'varchar', length: 30 })
  kind!: AuthTokenKind;

  @Index('auth_tokens_user_id_idx')
  @Column({ name: 'user_id', type: 'uuid' })
  userId!: string;

  @ManyToOne(() => User, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'user_id', foreignKeyConstraintName: 'auth_tokens_user_id_fkey' })
  user?: User;

  @Index('auth_tokens_token_hash_key', { unique: true })
  @Column({ name: 'token_hash', type: 'char', length: 64 })
  tokenHash!: string;

  @Column({ name: 'expires_at', type: 'timestamptz', precision: 3 })
  expiresAt!: Date;

  @Column({ name: 'used_at', type: 'timestamptz', precision: 3, nullable: true })
  usedAt!: Date | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz', precision: 3 })
  createdAt!: Date;
}
