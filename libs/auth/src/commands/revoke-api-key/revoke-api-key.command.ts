import { Command } from '@nestjs/cqrs';

export class RevokeApiKeyCommand extends Command<void> {
  constructor(
    readonly userId: string,
    readonly id: string,
  ) {
    super();
  }
}
