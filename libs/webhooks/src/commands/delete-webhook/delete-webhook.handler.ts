import { Outbox } from '@keel/events';
import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { Webhook } from '../../entities/webhook.entity';
import { lockOwnWebhook, recordWebhookEvent } from '../../webhook-records';
import { DeleteWebhookCommand } from './delete-webhook.command';

/** Its deliveries and attempts go with it; one being sent now is not recorded. */
@CommandHandler(DeleteWebhookCommand)
export class DeleteWebhookHandler implements ICommandHandler<DeleteWebhookCommand> {
  constructor(private readonly outbox: Outbox) {}

  async execute({ userId, id }: DeleteWebhookCommand): Promise<void> {
    await this.outbox.transaction(async (tx) => {
      const webhook = await lockOwnWebhook(tx, userId, id);
      await tx.delete(Webhook, { id });
      await recordWebhookEvent(tx, webhook, 'webhook.deleted');
    });
  }
}
