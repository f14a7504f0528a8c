import { Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import { OutboxRelay } from './relay/outbox-relay';

/**
 * The transaction of a command that emits events: record them with `recordEvent(tx, …)`
 * inside; after the commit the relay is woken, so delivery does not wait for its poll.
 */
@Injectable()
export class Outbox {
  constructor(
    private readonly dataSource: DataSource,
    private readonly relay: OutboxRelay,
  ) {}

  async transaction<T>(work: (tx: EntityManager) => Promise<T>): Promise<T> {
    const result = await this.dataSource.transaction(work);
    this.relay.wake();
    return result;
  }

  /**
   * For a hot path that recorded its event in the same statement as its change (a
   * data-modifying CTE inserting into `outbox`, see OUTBOX_INSERT): call once it returned.
   */
  recorded(): void {
    this.relay.wake();
  }
}
