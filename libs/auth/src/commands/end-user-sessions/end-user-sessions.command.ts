import { Command } from '@nestjs/cqrs';

/** An admin (null: the operator at the command line) ends all of a user's sessions. */
export class EndUserSessionsCommand extends Command<void> {
  constructor(
    readonly actorId: string | null,
    readonly userId: string,
  ) {
    super();
  }
}
