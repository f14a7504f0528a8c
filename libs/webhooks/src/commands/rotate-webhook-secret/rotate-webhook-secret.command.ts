import { Command } from '@nestjs/cqrs';
import type { RotatedSecretDto } from '../../dto/webhook.dto';

export class RotateWebhookSecretCommand extends Command<RotatedSecretDto> {
  constructor(
    readonly userId: string,
    readonly id: string,
  ) {
    super();
  }
}
