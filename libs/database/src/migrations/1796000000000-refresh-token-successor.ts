import type { MigrationInterface, QueryRunner } from 'typeorm';

export class RefreshTokenSuccessor1796000000000 implements MigrationInterface {
  name = 'RefreshTokenSuccessor1796000000000';

  async up(q: QueryRunner): Promise<void> {
    // The token a rotation issued: handed again to a second tab within the reuse grace window.
    await q.query(`ALTER TABLE refresh_tokens ADD COLUMN replaced_by uuid`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE refresh_tokens DROP COLUMN replaced_by`);
  }
}
