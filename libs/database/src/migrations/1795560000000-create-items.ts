import type { MigrationInterface, QueryRunner } from 'typeorm';

export class CreateItems1795560000000 implements MigrationInterface {
  name = 'CreateItems1795560000000';

  async up(q: QueryRunner): Promise<void> {
    // Millisecond timestamps: a page cursor carries created_at as a JS date, which must
    // compare equal to the stored value.
    await q.query(`
      CREATE TABLE items (
        id uuid PRIMARY KEY,
        owner_id uuid NOT NULL,
        name varchar(200) NOT NULL,
        description varchar(2000) NOT NULL DEFAULT '',
        price numeric(12,2) NOT NULL,
        version integer NOT NULL DEFAULT 1,
        created_at timestamptz(3) NOT NULL DEFAULT now(),
        updated_at timestamptz(3) NOT NULL DEFAULT now(),
        CONSTRAINT items_price_check CHECK (price >= 0),
        CONSTRAINT items_owner_id_fkey FOREIGN KEY (owner_id) REFERENCES users (id) ON DELETE RESTRICT
      )`);
    // One index per sort order, each ending in id: the tie-breaker of the page cursor.
    await q.query(`CREATE INDEX items_created_at_id_idx ON items (created_at, id)`);
    await q.query(`CREATE INDEX items_name_id_idx ON items (name, id)`);
    await q.query(`CREATE INDEX items_price_id_idx ON items (price, id)`);
    await q.query(`CREATE INDEX items_owner_id_idx ON items (owner_id)`);
    await q.query(`
      CREATE TABLE idempotency_keys (
        scope varchar(100) NOT NULL,
        key varchar(255) NOT NULL,
        request_hash char(64) NOT NULL,
        status_code integer,
        response jsonb,
        created_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT idempotency_keys_pkey PRIMARY KEY (scope, key)
      )`);
    await q.query(`CREATE INDEX idempotency_keys_created_at_idx ON idempotency_keys (created_at)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE idempotency_keys`);
    await q.query(`DROP TABLE items`);
  }
}
