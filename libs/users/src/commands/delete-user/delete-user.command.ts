import { Command } from '@nestjs/cqrs';

export class DeleteUserCommand extends Command<void> {
  constructor(
    readonly actorId: string,
    readonly userId: string,
  ) {
    super();
  }
}
