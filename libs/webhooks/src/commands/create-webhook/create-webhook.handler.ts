import { uuidv7, webhooksConfig } from '@keel/core';
import { Outbox } from '@keel/events';
import { Inject } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { checkTargetUrl, type EgressPolicy } from '../../egress';
import { EGRESS_POLICY } from '../../egress-policy';
import type { CreatedWebhookDto } from '../../dto/webhook.dto';
import { mapWebhook } from '../../dto/webhook.mapper';
import { Webhook } from '../../entities/webhook.entity';
import { newWebhookSecret } from '../../signing';
import { WebhookSecrets } from '../../webhook-secrets';
import { recordWebhookEvent } from '../../webhook-records';
import { WebhookLimitError, WebhookUrlRefusedError } from '../../webhooks.errors';
import { CreateWebhookCommand } from './create-webhook.command';

/** The answer is the only place the secret appears in clear. */
@CommandHandler(CreateWebhookCommand)
export class CreateWebhookHandler implements ICommandHandler<CreateWebhookCommand> {
  constructor(
    private readonly outbox: Outbox,
    private readonly secrets: WebhookSecrets,
    @Inject(EGRESS_POLICY) private readonly policy: EgressPolicy,
    @Inject(webhooksConfig.KEY) private readonly cfg: ConfigType<typeof webhooksConfig>,
  ) {}

  async execute({ userId, dto }: CreateWebhookCommand): Promise<CreatedWebhookDto> {
    const refused = checkTargetUrl(dto.url, this.policy);
    if (refused) throw new WebhookUrlRefusedError(refused);
    const secret = newWebhookSecret();
    const webhook = await this.outbox.transaction(async (tx) => {
      // Serialises one user's creations, so the limit holds under concurrent requests.
      await tx.query(`SELECT pg_advisory_xact_lock(hashtext('keel.webhooks.' || $1))`, [userId]);
      const count = await tx.countBy(Webhook, { ownerId: userId });
      if (count >= this.cfg.maxPerUser) throw new WebhookLimitError(this.cfg.maxPerUser);
      const id = uuidv7();
      await tx.insert(Webhook, {
        id,
        ownerId: userId,
        url: dto.url,
        description: dto.description ?? null,
        eventTypes: dto.eventTypes,
        secret: this.secrets.sealSecret(secret),
      });
      const created = await tx.findOneByOrFail(Webhook, { id });
      await recordWebhookEvent(tx, created, 'webhook.created');
      return created;
    });
    return { ...mapWebhook(webhook, this.cfg.breakerFailures), secret };
  }
}
