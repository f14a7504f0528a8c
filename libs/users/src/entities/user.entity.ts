import type { Role } from '@keel/core';
import {
  Column,
  CreateDateColumn,
  Entity,
  Index,
  PrimaryColumn,
  UpdateDateColumn,
  VersionColumn,
} from 'typeorm';

@Entity('users')
// Unique on lower(email): an expression index, kept by the migration, not derived from here.
@Index('users_email_key', { synchronize: false })
export class User {
  /** UUIDv7, made by the app: sorts by creation time. */
  @PrimaryColumn('uuid')
  id!: string;

  /** Stored lower-cased; unique case-insensitively. */
  @Column({ type: 'varchar', length: 254 })
  email!: string;

  @Column({ name: 'display_name', type: 'varchar', length: 100 })
  displayName!: string;

  /** Never loaded unless asked for (`addSelect`), so it cannot leak into a response. */
  @Column({ name: 'password_hash', type: 'text', select: false })
  passwordHash!: string;

  @Column({ type: 'text', array: true, default: () => `'{user}'` })
  roles!: Role[];

  @Column({ type: 'boolean', default: false })
  disabled!: boolean;

  /** When the owner proved they read mail at `email`; null until then. */
  @Column({ name: 'email_verified_at', type: 'timestamptz', nullable: true })
  emailVerifiedAt!: Date | null;

  @VersionColumn({ default: 1 })
  version!: number;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt!: Date;
}
