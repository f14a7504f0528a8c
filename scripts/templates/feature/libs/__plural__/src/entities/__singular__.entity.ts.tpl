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
 * __A_singular_words__, owned by the user who created it. The migration
 * `__timestamp__-create-__plural__` creates this table; the schema test checks they agree.
 */
@Entity('__plural_snake__')
export class __Singular__ {
  /** UUIDv7, made by the app: ordered by creation, so inserts stay at the index's end. */
  @PrimaryColumn('uuid')
  id!: string;

  @Index('__plural_snake___owner_id_idx')
  @Column({ name: 'owner_id', type: 'uuid' })
  ownerId!: string;

  /** Deleting a user deletes their __plural_words__. */
  @ManyToOne(() => User, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'owner_id', foreignKeyConstraintName: '__plural_snake___owner_id_fkey' })
  owner?: User;

  @Column({ type: 'varchar', length: 200 })
  name!: string;

  /** Milliseconds, as a JS Date holds them: a page cursor built from one compares equal. */
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz', precision: 3 })
  createdAt!: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz', precision: 3 })
  updatedAt!: Date;
}
