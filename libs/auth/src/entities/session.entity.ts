import { User } from '@keel/users';
import { Column, Entity, Index, JoinColumn, ManyToOne, PrimaryColumn } from 'typeorm';

/**
 * A sign-in: one refresh-token family (its id is the family's id). Ending it revokes the
 * family's tokens, and refresh refuses any token of an ended session, even one rotated while
 * the session was being ended.
 */
@Entity('auth_sessions')
export class Session {
  @PrimaryColumn('uuid')
  id!: string;

  @Index('auth_sessions_user_id_idx')
  @Column({ name: 'user_id', type: 'uuid' })
  userId!: string;

  @ManyToOne(() => User, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'user_id', foreignKeyConstraintName: 'auth_sessions_user_id_fkey' })
  user?: User;

  /** The User-Agent of the sign-in, cut to 512 characters. */
  @Column({ name: 'user_agent', type: 'varchar', length: 512, nullable: true })
  userAgent!: string | null;

  /** The client address of the latest sign-in or refresh. */
  @Column({ name: 'ip_address', type: 'varchar', length: 64, nullable: true })
  ipAddress!: string | null;

  @Column({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @Column({ name: 'last_used_at', type: 'timestamptz' })
  lastUsedAt!: Date;

  @Column({ name: 'ended_at', type: 'timestamptz', nullable: true })
  endedAt!: Date | null;
}
