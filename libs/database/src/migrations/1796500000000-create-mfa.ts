import type { MigrationInterface, QueryRunner } from 'typeorm';

/** TOTP two-factor authentication: the sealed secret, recovery codes and login challenges. */
export class CreateMfa1796500000000 implements MigrationInterface {
  name = 'CreateMfa1796500000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE user_totp (
        user_id uuid PRIMARY KEY,
        secret_sealed text NOT NULL,
        enabled_at timestamptz,
        last_used_step bigint,
        created_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT user_totp_user_id_fkey FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE
      )`);
    await q.query(`
      CREATE TABLE mfa_recovery_codes (
        id uuid PRIMARY KEY,
        user_id uuid NOT NULL,
        code_hash char(64) NOT NULL,
        used_at timestamptz,
        CONSTRAINT mfa_recovery_codes_user_id_fkey FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE
      )`);
    await q.query(`CREATE INDEX mfa_recovery_codes_user_id_idx ON mfa_recovery_codes (user_id)`);
    await q.query(`
      CREATE TABLE mfa_challenges (
        id uuid PRIMARY KEY,
        user_id uuid NOT NULL,
        token_hash char(64) NOT NULL,
        expires_at timestamptz NOT NULL,
        used_at timestamptz,
        CONSTRAINT mfa_challenges_user_id_fkey FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE
      )`);
    await q.query(
      `CREATE UNIQUE INDEX mfa_challenges_token_hash_key ON mfa_challenges (token_hash)`,
    );
    await q.query(`CREATE INDEX mfa_challenges_user_id_idx ON mfa_challenges (user_id)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE mfa_challenges`);
    await q.query(`DROP TABLE mfa_recovery_codes`);
    await q.query(`DROP TABLE user_totp`);
  }
}
