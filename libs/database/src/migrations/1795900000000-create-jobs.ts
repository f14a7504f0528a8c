import type { MigrationInterface, QueryRunner } from 'typeorm';

export class CreateJobs1795900000000 implements MigrationInterface {
  name = 'CreateJobs1795900000000';

  async up(q: QueryRunner): Promise<void> {
    // The record of every background job, whichever queue runs it.
    await q.query(`
      CREATE TABLE jobs (
        id uuid PRIMARY KEY,
        type varchar(50) NOT NULL,
        owner_id uuid NOT NULL,
        state varchar(20) NOT NULL DEFAULT 'queued',
        progress smallint NOT NULL DEFAULT 0,
        processed integer NOT NULL DEFAULT 0,
        succeeded integer NOT NULL DEFAULT 0,
        failed integer NOT NULL DEFAULT 0,
        errors jsonb NOT NULL DEFAULT '[]',
        params jsonb NOT NULL DEFAULT '{}',
        checkpoint jsonb,
        result jsonb,
        reason varchar(1000),
        attempts integer NOT NULL DEFAULT 0,
        created_at timestamptz(3) NOT NULL DEFAULT now(),
        started_at timestamptz(3),
        finished_at timestamptz(3),
        updated_at timestamptz(3) NOT NULL DEFAULT now(),
        CONSTRAINT jobs_state_check
          CHECK (state IN ('queued', 'running', 'succeeded', 'failed', 'cancelled')),
        CONSTRAINT jobs_progress_check CHECK (progress BETWEEN 0 AND 100),
        CONSTRAINT jobs_owner_id_fkey FOREIGN KEY (owner_id) REFERENCES users (id) ON DELETE CASCADE
      )`);
    await q.query(`CREATE INDEX jobs_owner_id_created_at_idx ON jobs (owner_id, created_at, id)`);
    await q.query(`CREATE INDEX jobs_created_at_idx ON jobs (created_at, id)`);
    await q.query(
      `CREATE INDEX jobs_unfinished_idx ON jobs (created_at) WHERE state IN ('queued', 'running')`,
    );
    // Uploaded files, in fixed-size pieces, readable by any worker; deleted when the job ends.
    // No foreign key: the pieces are written before the job row exists.
    await q.query(`
      CREATE TABLE job_uploads (
        job_id uuid NOT NULL,
        seq integer NOT NULL,
        data bytea NOT NULL,
        created_at timestamptz(3) NOT NULL DEFAULT now(),
        PRIMARY KEY (job_id, seq)
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE job_uploads`);
    await q.query(`DROP TABLE jobs`);
  }
}
