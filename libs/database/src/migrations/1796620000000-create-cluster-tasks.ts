import type { MigrationInterface, QueryRunner } from 'typeorm';

/** When each once-per-cluster task last ran (runOncePerCluster). */
export class CreateClusterTasks1796620000000 implements MigrationInterface {
  name = 'CreateClusterTasks1796620000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE cluster_tasks (
        name text PRIMARY KEY,
        last_run_at timestamptz NOT NULL
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE cluster_tasks`);
  }
}
