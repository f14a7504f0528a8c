import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Single sign-on with OpenID Connect: the sign-ins under way (state, nonce and PKCE verifier,
 * single use) and the provider identities linked to users.
 */
export class CreateOidc1796600000000 implements MigrationInterface {
  name = 'CreateOidc1796600000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE oidc_logins (
        id uuid PRIMARY KEY,
        state_hash char(64) NOT NULL,
        nonce text NOT NULL,
        code_verifier text NOT NULL,
        expires_at timestamptz NOT NULL
      )`);
    await q.query(`CREATE UNIQUE INDEX oidc_logins_state_hash_key ON oidc_logins (state_hash)`);
    await q.query(`CREATE INDEX oidc_logins_expires_at_idx ON oidc_logins (expires_at)`);
    await q.query(`
      CREATE TABLE user_identities (
        id uuid PRIMARY KEY,
        user_id uuid NOT NULL,
        issuer text NOT NULL,
        subject text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT user_identities_user_id_fkey FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE
      )`);
    await q.query(
      `CREATE UNIQUE INDEX user_identities_issuer_subject_key ON user_identities (issuer, subject)`,
    );
    await q.query(`CREATE INDEX user_identities_user_id_idx ON user_identities (user_id)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE user_identities`);
    await q.query(`DROP TABLE oidc_logins`);
  }
}
