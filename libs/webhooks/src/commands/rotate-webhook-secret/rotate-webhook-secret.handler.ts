import { webhooksConfig } from '@keel/core';
import { Outbox } from '@keel/events';
import { Inject } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import type { RotatedSecretDto } from '../../dto/webhook.dto';
import { Webhook } from '../../entities/webhook.entity';
import { newWebhookSecret } from '../../signing';
import { WebhookSecrets } from '../../webhook-secrets';
import { lockOwnWebhook, recordWebhookEvent } from '../../webhook-records';
import { RotateWebhookSecretCommand } from './rotate-webhook-secret.command';

/**
 * A new secret signs from now on; the current one goes on signing beside it for
 * WEBHOOK_SECRET_OVERLAP_SECONDS, so receivers can switch without missing a delivery. A
 * second rotation during the overlap drops the oldest secret.
 */
@CommandHandler(RotateWebhookSecretCommand)
export class RotateWebhookSecretHandler implements ICommandHandler<RotateWebhookSecretCommand> {
  constructor(
    private readonly outbox: Outbox,
    private readonly secrets: WebhookSecrets,
    @Inject(webhooksConfig.KEY) private readonly cfg: ConfigType<typeof webhooksConfig>,
  ) {}

  async execute({ userId, id }: RotateWebhookSecretCommand): Promise<RotatedSecretDto> {
    const secret = newWebhookSecret();
    const expiresAt = new Date(Date.now() + this.cfg.secretOverlapMs);
    await this.outbox.transaction(async (tx) => {
      const webhook = await lockOwnWebhook(tx, userId, id);
      await tx.update(
        Webhook,
        { id },
        {
          secret: this.secrets.sealSecret(secret),
          previousSecret: webhook.secret,
          previousSecretExpiresAt: expiresAt,
        },
      );
      await recordWebhookEvent(tx, webhook, 'webhook.secret_rotated', {
        previousSecretExpiresAt: expiresAt.toISOString(),
      });
    });
    return { secret, previousSecretExpiresAt: expiresAt.toISOString() };
  }
}
