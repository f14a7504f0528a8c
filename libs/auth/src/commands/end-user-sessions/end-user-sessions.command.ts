import { Command } from '@nestjs/cqrs';

/** An admin ends all of a user's sessions. */
export class EndUserSessionsCommand extends Command<void> {
  constructor(
    readonly actorId: string,
    readonly userId: string,
  ) {
    super();
  }
}
