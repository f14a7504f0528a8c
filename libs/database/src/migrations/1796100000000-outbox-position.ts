import type { MigrationInterface, QueryRunner } from 'typeorm';

export class OutboxPosition1796100000000 implements MigrationInterface {
  name = 'OutboxPosition1796100000000';

  async up(q: QueryRunner): Promise<void> {
    // `position`: the stream order, given by the relay in commit order (unlike `seq`, taken
    // at insert). `claimed_until`: the lease of the relay publishing the row.
    await q.query(
      `ALTER TABLE outbox ADD COLUMN position bigint, ADD COLUMN claimed_until timestamptz(3)`,
    );
    // Rows already published keep their order; streams resume from their old ids.
    await q.query(`UPDATE outbox SET position = seq WHERE published_at IS NOT NULL`);
    await q.query(`CREATE UNIQUE INDEX outbox_position_key ON outbox (position)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX outbox_position_key`);
    await q.query(`ALTER TABLE outbox DROP COLUMN claimed_until, DROP COLUMN position`);
  }
}
