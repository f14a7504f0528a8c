import { Command } from '@nestjs/cqrs';

/** The user ends one of their sessions. */
export class EndSessionCommand extends Command<void> {
  constructor(
    readonly userId: string,
    readonly sessionId: string,
  ) {
    super();
  }
}
