import type { MigrationInterface, QueryRunner } from 'typeorm';

export class CreateAuthSessions1796300000000 implements MigrationInterface {
  name = 'CreateAuthSessions1796300000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE auth_sessions (
        id uuid PRIMARY KEY,
        user_id uuid NOT NULL,
        user_agent varchar(512),
        ip_address varchar(64),
        created_at timestamptz NOT NULL,
        last_used_at timestamptz NOT NULL,
        ended_at timestamptz,
        CONSTRAINT auth_sessions_user_id_fkey FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE
      )`);
    await q.query(`CREATE INDEX auth_sessions_user_id_idx ON auth_sessions (user_id)`);
    // Families signed in before sessions existed become sessions (device and address unknown).
    await q.query(`
      INSERT INTO auth_sessions (id, user_id, created_at, last_used_at, ended_at)
      SELECT family_id, min(user_id::text)::uuid, min(created_at), max(created_at),
             CASE WHEN bool_and(revoked_at IS NOT NULL) THEN max(revoked_at) END
      FROM refresh_tokens GROUP BY family_id`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE auth_sessions`);
  }
}
