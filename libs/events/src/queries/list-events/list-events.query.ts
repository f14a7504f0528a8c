import type { Page } from '@keel/core';
import { Query } from '@nestjs/cqrs';
import type { EventDto, ListEventsQueryDto } from '../../dto/event.dto';

export class ListEventsQuery extends Query<Page<EventDto>> {
  constructor(readonly filter: ListEventsQueryDto) {
    super();
  }
}
