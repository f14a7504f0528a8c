import type { MigrationInterface, QueryRunner } from 'typeorm';

export class AuthMailTokens1796310000000 implements MigrationInterface {
  name = 'AuthMailTokens1796310000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE users ADD COLUMN email_verified_at timestamptz`);
    // Single-use tokens sent by mail (email verification, password reset): only their
    // SHA-256 is stored, so a read of this table gives no usable token.
    await q.query(`
      CREATE TABLE auth_tokens (
        id uuid PRIMARY KEY,
        kind varchar(30) NOT NULL
          CONSTRAINT auth_tokens_kind_check CHECK (kind IN ('email_verification', 'password_reset')),
        user_id uuid NOT NULL CONSTRAINT auth_tokens_user_id_fkey REFERENCES users (id) ON DELETE CASCADE,
        token_hash char(64) NOT NULL,
        expires_at timestamptz(3) NOT NULL,
        used_at timestamptz(3),
        created_at timestamptz(3) NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE UNIQUE INDEX auth_tokens_token_hash_key ON auth_tokens (token_hash)`);
    await q.query(`CREATE INDEX auth_tokens_user_id_idx ON auth_tokens (user_id)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE auth_tokens`);
    await q.query(`ALTER TABLE users DROP COLUMN email_verified_at`);
  }
}
