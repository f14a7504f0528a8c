import { Query } from '@nestjs/cqrs';
import type { SessionListDto } from '../../dto/session.dto';

export class ListSessionsQuery extends Query<SessionListDto> {
  constructor(
    readonly userId: string,
    /** Marked `current` in the answer. */
    readonly currentId: string | undefined,
  ) {
    super();
  }
}
