import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Webhooks: endpoints with their sealed secrets and circuit state, one delivery per (event,
 * endpoint), each attempt, and the fan-out's cursor in the outbox (starting at the current
 * end: events from before webhooks existed are not sent).
 */
export class CreateWebhooks1796700000000 implements MigrationInterface {
  name = 'CreateWebhooks1796700000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE webhooks (
        id uuid PRIMARY KEY,
        owner_id uuid NOT NULL,
        url varchar(2048) NOT NULL,
        description varchar(200),
        event_types text[] NOT NULL,
        secret text NOT NULL,
        previous_secret text,
        previous_secret_expires_at timestamptz,
        disabled_at timestamptz,
        disabled_reason varchar(200),
        consecutive_failures integer NOT NULL DEFAULT 0,
        failing_since timestamptz,
        circuit_open_until timestamptz,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT webhooks_owner_id_fkey FOREIGN KEY (owner_id) REFERENCES users (id) ON DELETE CASCADE
      )`);
    await q.query(`CREATE INDEX webhooks_owner_id_idx ON webhooks (owner_id)`);
    await q.query(`
      CREATE TABLE webhook_deliveries (
        seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        id uuid NOT NULL,
        webhook_id uuid NOT NULL,
        event_id uuid,
        event_type varchar(100) NOT NULL,
        aggregate_id varchar(100) NOT NULL,
        payload jsonb NOT NULL,
        state varchar(20) NOT NULL DEFAULT 'pending',
        attempts integer NOT NULL DEFAULT 0,
        next_attempt_at timestamptz NOT NULL DEFAULT now(),
        lease_until timestamptz,
        last_status_code integer,
        created_at timestamptz NOT NULL DEFAULT now(),
        finished_at timestamptz,
        CONSTRAINT webhook_deliveries_id_key UNIQUE (id),
        CONSTRAINT webhook_deliveries_state_check
          CHECK (state IN ('pending', 'sending', 'delivered', 'failed')),
        CONSTRAINT webhook_deliveries_webhook_id_fkey FOREIGN KEY (webhook_id) REFERENCES webhooks (id) ON DELETE CASCADE
      )`);
    await q.query(
      `CREATE UNIQUE INDEX webhook_deliveries_webhook_id_event_id_key ON webhook_deliveries (webhook_id, event_id)`,
    );
    await q.query(
      `CREATE INDEX webhook_deliveries_webhook_id_seq_idx ON webhook_deliveries (webhook_id, seq)`,
    );
    await q.query(
      `CREATE INDEX webhook_deliveries_unfinished_idx ON webhook_deliveries (next_attempt_at)
       WHERE state IN ('pending', 'sending')`,
    );
    await q.query(
      `CREATE INDEX webhook_deliveries_order_idx ON webhook_deliveries (webhook_id, aggregate_id, seq)
       WHERE state IN ('pending', 'sending')`,
    );
    await q.query(`
      CREATE TABLE webhook_attempts (
        id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        delivery_seq bigint NOT NULL,
        number integer NOT NULL,
        started_at timestamptz NOT NULL,
        latency_ms integer NOT NULL,
        outcome varchar(20) NOT NULL,
        status_code integer,
        error varchar(500),
        response_prefix text,
        CONSTRAINT webhook_attempts_delivery_seq_fkey FOREIGN KEY (delivery_seq) REFERENCES webhook_deliveries (seq) ON DELETE CASCADE
      )`);
    await q.query(
      `CREATE INDEX webhook_attempts_delivery_seq_id_idx ON webhook_attempts (delivery_seq, id)`,
    );
    await q.query(`
      CREATE TABLE webhook_dispatch_cursor (
        id smallint PRIMARY KEY,
        position bigint NOT NULL
      )`);
    await q.query(
      `INSERT INTO webhook_dispatch_cursor (id, position)
       SELECT 1, COALESCE(MAX(position), 0) FROM outbox`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE webhook_dispatch_cursor`);
    await q.query(`DROP TABLE webhook_attempts`);
    await q.query(`DROP TABLE webhook_deliveries`);
    await q.query(`DROP TABLE webhooks`);
  }
}
