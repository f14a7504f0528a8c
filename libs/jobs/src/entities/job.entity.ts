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

export const JOB_STATES = ['queued', 'running', 'succeeded', 'failed', 'cancelled'] as const;
export type JobState = (typeof JOB_STATES)[number];
export const UNFINISHED_STATES: readonly JobState[] = ['queued', 'running'];

export interface JobRowError {
  /** 1-based line of the upload where the row starts. */
  line: number;
  message: string;
}

/** The record of one background job, whichever queue runs it. */
@Entity('jobs')
@Check('jobs_state_check', `state IN ('queued', 'running', 'succeeded', 'failed', 'cancelled')`)
@Check('jobs_progress_check', 'progress BETWEEN 0 AND 100')
@Index('jobs_owner_id_created_at_idx', ['ownerId', 'createdAt', 'id'])
@Index('jobs_created_at_idx', ['createdAt', 'id'])
// Partial index on unfinished jobs: kept by the migration.
@Index('jobs_unfinished_idx', { synchronize: false })
export class Job {
  @PrimaryColumn('uuid')
  id!: string;

  /** What runs it, for example `items.import`. */
  @Column({ type: 'varchar', length: 50 })
  type!: string;

  @Column({ name: 'owner_id', type: 'uuid' })
  ownerId!: string;

  @ManyToOne(() => User, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'owner_id', foreignKeyConstraintName: 'jobs_owner_id_fkey' })
  owner?: User;

  @Column({ type: 'varchar', length: 20, default: 'queued' })
  state!: JobState;

  /** 0 to 100. */
  @Column({ type: 'smallint', default: 0 })
  progress!: number;

  @Column({ type: 'integer', default: 0 })
  processed!: number;

  @Column({ type: 'integer', default: 0 })
  succeeded!: number;

  @Column({ type: 'integer', default: 0 })
  failed!: number;

  /** The first rows that failed (a capped sample; `failed` counts them all). */
  @Column({ type: 'jsonb', default: () => `'[]'` })
  errors!: JobRowError[];

  /** What the job was asked to do. */
  @Column({ type: 'jsonb', default: () => `'{}'` })
  params!: object;

  /** Where a resumed or retried run goes on from; written with each batch's rows. */
  @Column({ type: 'jsonb', nullable: true })
  checkpoint!: object | null;

  @Column({ type: 'jsonb', nullable: true })
  result!: object | null;

  /** Why the job failed or was last retried. */
  @Column({ type: 'varchar', length: 1000, nullable: true })
  reason!: string | null;

  /** Runs started, including retries and resumptions. */
  @Column({ type: 'integer', default: 0 })
  attempts!: number;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz', precision: 3 })
  createdAt!: Date;

  @Column({ name: 'started_at', type: 'timestamptz', precision: 3, nullable: true })
  startedAt!: Date | null;

  @Column({ name: 'finished_at', type: 'timestamptz', precision: 3, nullable: true })
  finishedAt!: Date | null;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz', precision: 3 })
  updatedAt!: Date;
}
