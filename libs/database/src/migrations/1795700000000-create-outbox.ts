import type { MigrationInterface, QueryRunner } from 'typeorm';

export class CreateOutbox1795700000000 implements MigrationInterface {
  name = 'CreateOutbox1795700000000';

  async up(q: QueryRunner): Promise<void> {
    // Written in the same transaction as the change; `seq` is the delivery order.
    await q.query(`
      CREATE TABLE outbox (
        seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        id uuid NOT NULL,
        type varchar(100) NOT NULL,
        aggregate_type varchar(50) NOT NULL,
        aggregate_id varchar(100) NOT NULL,
        actor_id uuid,
        request_id varchar(128),
        data jsonb NOT NULL,
        occurred_at timestamptz(3) NOT NULL DEFAULT now(),
        published_at timestamptz(3),
        CONSTRAINT outbox_id_key UNIQUE (id)
      )`);
    await q.query(`CREATE INDEX outbox_unpublished_idx ON outbox (seq) WHERE published_at IS NULL`);
    await q.query(`CREATE INDEX outbox_type_seq_idx ON outbox (type, seq)`);
    await q.query(`CREATE INDEX outbox_aggregate_id_seq_idx ON outbox (aggregate_id, seq)`);
    await q.query(`CREATE INDEX outbox_occurred_at_idx ON outbox (occurred_at)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE outbox`);
  }
}
