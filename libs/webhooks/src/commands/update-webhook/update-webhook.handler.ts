import { webhooksConfig } from '@keel/core';
import { Outbox } from '@keel/events';
import { Inject } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { DeliveryQueue } from '../../delivery/delivery-queue';
import { DeliveryRunner } from '../../delivery/delivery-runner';
import { checkTargetUrl, type EgressPolicy } from '../../egress';
import { EGRESS_POLICY } from '../../egress-policy';
import type { WebhookDto } from '../../dto/webhook.dto';
import { mapWebhook } from '../../dto/webhook.mapper';
import { Webhook } from '../../entities/webhook.entity';
import { lockOwnWebhook, recordWebhookEvent } from '../../webhook-records';
import { WebhookUrlRefusedError } from '../../webhooks.errors';
import { UpdateWebhookCommand } from './update-webhook.command';

/**
 * Changes what is given. Turning an endpoint on again starts it afresh: its circuit closes
 * and the deliveries that waited are queued.
 */
@CommandHandler(UpdateWebhookCommand)
export class UpdateWebhookHandler implements ICommandHandler<UpdateWebhookCommand> {
  constructor(
    private readonly outbox: Outbox,
    private readonly queue: DeliveryQueue,
    private readonly runner: DeliveryRunner,
    @Inject(EGRESS_POLICY) private readonly policy: EgressPolicy,
    @Inject(webhooksConfig.KEY) private readonly cfg: ConfigType<typeof webhooksConfig>,
  ) {}

  async execute({ userId, id, dto }: UpdateWebhookCommand): Promise<WebhookDto> {
    if (dto.url !== undefined) {
      const refused = checkTargetUrl(dto.url, this.policy);
      if (refused) throw new WebhookUrlRefusedError(refused);
    }
    let enabledAgain = false;
    const webhook = await this.outbox.transaction(async (tx) => {
      const current = await lockOwnWebhook(tx, userId, id);
      enabledAgain = dto.enabled === true && current.disabledAt !== null;
      await tx.update(
        Webhook,
        { id },
        {
          ...(dto.url !== undefined && { url: dto.url }),
          ...(dto.eventTypes !== undefined && { eventTypes: dto.eventTypes }),
          ...(dto.description !== undefined && { description: dto.description }),
          ...(dto.enabled === false &&
            current.disabledAt === null && {
              disabledAt: new Date(),
              disabledReason: 'Turned off by its owner.',
            }),
          ...(enabledAgain && {
            disabledAt: null,
            disabledReason: null,
            consecutiveFailures: 0,
            failingSince: null,
            circuitOpenUntil: null,
          }),
        },
      );
      const updated = await tx.findOneByOrFail(Webhook, { id });
      await recordWebhookEvent(tx, updated, 'webhook.updated', {
        enabled: updated.disabledAt === null,
      });
      return updated;
    });
    if (enabledAgain) await this.queue.enqueue(await this.runner.due());
    return mapWebhook(webhook, this.cfg.breakerFailures);
  }
}
