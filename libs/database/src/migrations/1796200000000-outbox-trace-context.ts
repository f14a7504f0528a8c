import type { MigrationInterface, QueryRunner } from 'typeorm';

export class OutboxTraceContext1796200000000 implements MigrationInterface {
  name = 'OutboxTraceContext1796200000000';

  async up(q: QueryRunner): Promise<void> {
    // The W3C trace context (`traceparent`, `tracestate`) of the work that wrote the row, so
    // its publication and its consumers join that trace. Null when tracing is off.
    await q.query(`ALTER TABLE outbox ADD COLUMN trace_context jsonb`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE outbox DROP COLUMN trace_context`);
  }
}
