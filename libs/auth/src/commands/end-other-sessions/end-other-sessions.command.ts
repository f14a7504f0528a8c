import { Command } from '@nestjs/cqrs';

/** The user ends every session but `keepId` (the one making the request, if known). */
export class EndOtherSessionsCommand extends Command<void> {
  constructor(
    readonly userId: string,
    readonly keepId: string | undefined,
  ) {
    super();
  }
}
