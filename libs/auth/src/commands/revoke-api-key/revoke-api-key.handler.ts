import { Outbox, recordEvent } from '@keel/events';
import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { IsNull } from 'typeorm';
import { ApiKeyNotFoundError } from '../../api-keys.errors';
import { ApiKey } from '../../entities/api-key.entity';
import { RevokeApiKeyCommand } from './revoke-api-key.command';

/**
 * Refused from the next request on, on every replica: the guard reads the key's row per
 * request (ApiKeyAuthenticator). Someone else's key (or an unknown id) is not found.
 */
@CommandHandler(RevokeApiKeyCommand)
export class RevokeApiKeyHandler implements ICommandHandler<RevokeApiKeyCommand> {
  constructor(private readonly outbox: Outbox) {}

  async execute({ userId, id }: RevokeApiKeyCommand): Promise<void> {
    await this.outbox.transaction(async (tx) => {
      const result = await tx.update(
        ApiKey,
        { id, userId, revokedAt: IsNull() },
        { revokedAt: new Date() },
      );
      if ((result.affected ?? 0) === 0) {
        // Already revoked: nothing to do.
        if (await tx.existsBy(ApiKey, { id, userId })) return;
        throw new ApiKeyNotFoundError();
      }
      await recordEvent(tx, {
        type: 'auth.api_key_revoked',
        aggregateType: 'api_key',
        aggregateId: id,
        actorId: userId,
        data: { userId },
      });
    });
  }
}
