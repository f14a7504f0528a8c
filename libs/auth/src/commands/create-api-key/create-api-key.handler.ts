import { uuidv7 } from '@keel/core';
import { Outbox, recordEvent } from '@keel/events';
import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { newApiKeySecret } from '../../api-key-secret';
import { ApiKeyExpiryError } from '../../api-keys.errors';
import { mapApiKey, type CreatedApiKeyDto } from '../../dto/api-key.dto';
import { ApiKey } from '../../entities/api-key.entity';
import { CreateApiKeyCommand } from './create-api-key.command';

/** The answer is the only place the key ever appears: only its SHA-256 is stored. */
@CommandHandler(CreateApiKeyCommand)
export class CreateApiKeyHandler implements ICommandHandler<CreateApiKeyCommand> {
  constructor(private readonly outbox: Outbox) {}

  async execute({ userId, dto }: CreateApiKeyCommand): Promise<CreatedApiKeyDto> {
    const expiresAt = dto.expiresAt === undefined ? null : new Date(dto.expiresAt);
    if (expiresAt && expiresAt.getTime() <= Date.now()) throw new ApiKeyExpiryError();
    const secret = newApiKeySecret();
    const key = await this.outbox.transaction(async (tx) => {
      const id = uuidv7();
      await tx.insert(ApiKey, {
        id,
        userId,
        name: dto.name,
        prefix: secret.prefix,
        secretHash: secret.hash,
        scopes: dto.scopes,
        expiresAt,
        lastUsedAt: null,
        revokedAt: null,
      });
      await recordEvent(tx, {
        type: 'auth.api_key_created',
        aggregateType: 'api_key',
        aggregateId: id,
        actorId: userId,
        data: { userId, scopes: dto.scopes, expiresAt: expiresAt?.toISOString() ?? null },
      });
      return tx.findOneByOrFail(ApiKey, { id });
    });
    return { ...mapApiKey(key), key: secret.key };
  }
}
