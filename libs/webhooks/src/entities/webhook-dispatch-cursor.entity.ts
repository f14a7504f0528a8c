import { Column, Entity, PrimaryColumn } from 'typeorm';

/**
 * How far the fan-out has read the outbox (a stream `position`). One row; the process that
 * advances it holds it locked, so each event is fanned out once per cluster.
 */
@Entity('webhook_dispatch_cursor')
export class WebhookDispatchCursor {
  @PrimaryColumn({ type: 'smallint' })
  id!: number;

  @Column({ type: 'bigint' })
  position!: string;
}
