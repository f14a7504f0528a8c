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
  UpdateDateColumn,
} from 'typeorm';

@Entity('items')
@Check('items_price_check', 'price >= 0')
@Index('items_created_at_id_idx', ['createdAt', 'id'])
@Index('items_name_id_idx', ['name', 'id'])
@Index('items_price_id_idx', ['price', 'id'])
export class Item {
  /** UUIDv7, made by the app. */
  @PrimaryColumn('uuid')
  id!: string;

  @Index('items_owner_id_idx')
  @Column({ name: 'owner_id', type: 'uuid' })
  ownerId!: string;

  /** A user who still owns items cannot be deleted. */
  @ManyToOne(() => User, { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'owner_id', foreignKeyConstraintName: 'items_owner_id_fkey' })
  owner?: User;

  @Column({ type: 'varchar', length: 200 })
  name!: string;

  @Column({ type: 'varchar', length: 2000, default: '' })
  description!: string;

  /** Exact decimal, read and written as a string ("12.50"): never a float. */
  @Column({ type: 'numeric', precision: 12, scale: 2 })
  price!: string;

  /** Bumped by every change; the ETag. */
  @Column({ type: 'integer', default: 1 })
  version!: number;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz', precision: 3 })
  createdAt!: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz', precision: 3 })
  updatedAt!: Date;
}
