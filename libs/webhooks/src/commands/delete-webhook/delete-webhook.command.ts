import { Command } from '@nestjs/cqrs';

export class DeleteWebhookCommand extends Command<void> {
  constructor(
    readonly userId: string,
    readonly id: string,
  ) {
    super();
  }
}
