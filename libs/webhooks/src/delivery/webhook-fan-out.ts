import { outsideTrace, type AuthUser, type Role } from '@keel/core';
import { mayWatch, OutboxEvent, toIntegrationEvent, type IntegrationEvent } from '@keel/events';
import { Injectable, Logger } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import { matchesEventType } from '../signing';
import type { QueuedDelivery } from './delivery-queue';

/** Outbox rows read per transaction. */
const BATCH = 500;

interface Subscriber {
  id: string;
  eventTypes: string[];
  createdAt: Date;
  owner: AuthUser;
}

/**
 * Events about deliveries themselves would feed back into more deliveries: none is ever
 * fanned out (Keel records no per-attempt events; this keeps it that way).
 */
function neverDelivered(event: IntegrationEvent): boolean {
  return event.type.startsWith('webhook.delivery');
}

/**
 * Turns outbox events into deliveries, once per cluster however many processes run it: the
 * cursor row (how far the outbox has been read, by stream `position`) is locked while a
 * batch is read, its deliveries inserted and the cursor moved, all in one transaction. A
 * process that finds the cursor locked leaves the work to the one holding it.
 */
@Injectable()
export class WebhookFanOut {
  private readonly logger = new Logger(WebhookFanOut.name);
  private running?: Promise<void>;
  private again = false;

  constructor(private readonly dataSource: DataSource) {}

  /**
   * Reads what is new, batch after batch; `created` gets each batch's new deliveries once
   * they are committed. Runs once at a time in this process; a call during a run runs it again after.
   */
  wake(created: (deliveries: QueuedDelivery[]) => void): Promise<void> {
    if (this.running) {
      this.again = true;
      return this.running;
    }
    this.running = outsideTrace(() => this.drain(created)).finally(() => {
      this.running = undefined;
      if (this.again) {
        this.again = false;
        void this.wake(created);
      }
    });
    return this.running;
  }

  private async drain(created: (deliveries: QueuedDelivery[]) => void): Promise<void> {
    try {
      for (;;) {
        const batch = await this.dataSource.transaction((tx) => this.fanOut(tx));
        if (batch.deliveries.length > 0) created(batch.deliveries);
        if (batch.read < BATCH) return;
      }
    } catch (error) {
      // The next poll tries again from the cursor, which did not move.
      this.logger.warn({ err: error }, 'webhook fan-out failed');
    }
  }

  private async fanOut(tx: EntityManager): Promise<{ read: number; deliveries: QueuedDelivery[] }> {
    const [cursor] = await tx.query<Array<{ position: string }>>(
      `SELECT position::text AS position FROM webhook_dispatch_cursor WHERE id = 1 FOR UPDATE SKIP LOCKED`,
    );
    if (!cursor) return { read: 0, deliveries: [] };
    // Read before the subscribers: every event up to `newest` was written before a webhook
    // the next statement does not see yet had committed.
    const [{ newest }] = await tx.query<Array<{ newest: string }>>(
      `SELECT COALESCE(max(position), 0)::text AS newest FROM outbox`,
    );
    const subscribers = await this.subscribers(tx);
    if (subscribers.length === 0) {
      // Nobody to deliver to, and a webhook made later gets only what happens after it: skip
      // ahead instead of reading every event a service without webhooks writes.
      await tx.query(
        `UPDATE webhook_dispatch_cursor SET position = GREATEST(position, $1::bigint) WHERE id = 1`,
        [newest],
      );
      return { read: 0, deliveries: [] };
    }
    // Positions are handed out in the order rows became visible: nothing can appear below one
    // already seen, so the cursor never skips an event.
    const rows = await tx
      .createQueryBuilder(OutboxEvent, 'o')
      .where('o.position > CAST(:after AS bigint)', { after: cursor.position })
      .orderBy('o.position', 'ASC')
      .limit(BATCH)
      .getMany();
    if (rows.length === 0) return { read: 0, deliveries: [] };
    const deliveries: Array<[string, IntegrationEvent]> = [];
    for (const row of rows) {
      const event = toIntegrationEvent(row);
      if (neverDelivered(event)) continue;
      for (const s of subscribers) {
        if (
          row.occurredAt >= s.createdAt &&
          matchesEventType(s.eventTypes, event.type) &&
          mayWatch(s.owner, event)
        ) {
          deliveries.push([s.id, event]);
        }
      }
    }
    let inserted: Array<{ id: string }> = [];
    if (deliveries.length > 0) {
      // WITH ORDINALITY keeps the events' order in `seq`, which the per-aggregate order relies on.
      inserted = await tx.query<Array<{ id: string }>>(
        `INSERT INTO webhook_deliveries (id, webhook_id, event_id, event_type, aggregate_id, payload)
         SELECT gen_random_uuid(), w, e, t, a, p
         FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::text[], $5::jsonb[])
           WITH ORDINALITY AS x(w, e, t, a, p, n)
         ORDER BY n
         ON CONFLICT (webhook_id, event_id) DO NOTHING
         RETURNING id`,
        [
          deliveries.map(([w]) => w),
          deliveries.map(([, e]) => e.id),
          deliveries.map(([, e]) => e.type),
          deliveries.map(([, e]) => e.aggregateId),
          deliveries.map(([, e]) => JSON.stringify(e)),
        ],
      );
    }
    await tx.query(`UPDATE webhook_dispatch_cursor SET position = $1 WHERE id = 1`, [
      rows[rows.length - 1].position,
    ]);
    return {
      read: rows.length,
      deliveries: inserted.map(({ id }) => ({ id, attempts: 0, delayMs: 0 })),
    };
  }

  /** Enabled webhooks of active users, with what their owners may see. */
  private async subscribers(tx: EntityManager): Promise<Subscriber[]> {
    const rows = await tx.query<
      Array<{
        id: string;
        event_types: string[];
        created_at: Date;
        owner_id: string;
        email: string;
        roles: Role[];
      }>
    >(
      `SELECT w.id, w.event_types, w.created_at, u.id AS owner_id, u.email, u.roles
       FROM webhooks w JOIN users u ON u.id = w.owner_id
       WHERE w.disabled_at IS NULL AND NOT u.disabled`,
    );
    return rows.map((r) => ({
      id: r.id,
      eventTypes: r.event_types,
      createdAt: r.created_at,
      owner: { id: r.owner_id, email: r.email, roles: r.roles },
    }));
  }
}
