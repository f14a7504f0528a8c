import type { MigrationInterface, QueryRunner } from 'typeorm';

/** __Plural_words__: each belongs to a user and is deleted with them. */
export class Create__Plural____timestamp__ implements MigrationInterface {
  name = 'Create__Plural____timestamp__';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE __plural_snake__ (
        id uuid PRIMARY KEY,
        owner_id uuid NOT NULL,
        name varchar(200) NOT NULL,
        created_at timestamptz(3) NOT NULL DEFAULT now(),
        updated_at timestamptz(3) NOT NULL DEFAULT now(),
        CONSTRAINT __plural_snake___owner_id_fkey FOREIGN KEY (owner_id) REFERENCES users (id) ON DELETE CASCADE
      )`);
    await q.query(`CREATE INDEX __plural_snake___owner_id_idx ON __plural_snake__ (owner_id)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE __plural_snake__`);
  }
}
