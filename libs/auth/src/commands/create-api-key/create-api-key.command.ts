import { Command } from '@nestjs/cqrs';
import type { CreateApiKeyDto, CreatedApiKeyDto } from '../../dto/api-key.dto';

export class CreateApiKeyCommand extends Command<CreatedApiKeyDto> {
  constructor(
    readonly userId: string,
    readonly dto: CreateApiKeyDto,
  ) {
    super();
  }
}
