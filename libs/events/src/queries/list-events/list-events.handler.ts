import { decodeCursor, toPage, type Page } from '@keel/core';
import { QueryHandler, type IQueryHandler } from '@nestjs/cqrs';
import { DataSource } from 'typeorm';
import { toIntegrationEvent } from '../../domain-event';
import type { EventDto } from '../../dto/event.dto';
import { OutboxEvent } from '../../entities/outbox-event.entity';
import { ListEventsQuery } from './list-events.query';

/** The audit log, newest first, a keyset page at a time over `seq`. */
@QueryHandler(ListEventsQuery)
export class ListEventsHandler implements IQueryHandler<ListEventsQuery> {
  constructor(private readonly dataSource: DataSource) {}

  async execute({ filter }: ListEventsQuery): Promise<Page<EventDto>> {
    const query = this.dataSource.manager
      .createQueryBuilder(OutboxEvent, 'e')
      .orderBy('e.seq', 'DESC')
      .limit(filter.limit + 1);
    if (filter.cursor) {
      const [before] = decodeCursor(filter.cursor, ['bigint']) as [string];
      query.andWhere('e.seq < CAST(:before AS bigint)', { before });
    }
    if (filter.type) query.andWhere('e.type = :type', { type: filter.type });
    if (filter.aggregateId) query.andWhere('e.aggregate_id = :aid', { aid: filter.aggregateId });
    if (filter.from) query.andWhere('e.occurred_at >= :from', { from: filter.from });
    if (filter.to) query.andWhere('e.occurred_at < :to', { to: filter.to });
    const rows = await query.getMany();
    return toPage(rows, filter.limit, toIntegrationEvent, (row) => [String(row.seq)]);
  }
}
