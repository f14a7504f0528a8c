import { uuidv7 } from '@keel/core';
import { Outbox, recordEvent } from '@keel/events';
import { Injectable } from '@nestjs/common';
import { DataSource, IsNull } from 'typeorm';
import { ApiKey } from '../entities/api-key.entity';
import {
  mapApiKey,
  type ApiKeyListDto,
  type CreateApiKeyDto,
  type CreatedApiKeyDto,
} from './api-key.dto';
import { ApiKeyExpiryError, ApiKeyNotFoundError } from './api-keys.errors';
import { newApiKeySecret } from './api-key-secret';

/** Creates, lists and revokes a user's API keys. */
@Injectable()
export class ApiKeysService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly outbox: Outbox,
  ) {}

  async create(userId: string, dto: CreateApiKeyDto): Promise<CreatedApiKeyDto> {
    const expiresAt = dto.expiresAt === undefined ? null : new Date(dto.expiresAt);
    if (expiresAt && expiresAt.getTime() <= Date.now()) throw new ApiKeyExpiryError();
    const secret = newApiKeySecret();
    const key = await this.outbox.transaction(async (tx) => {
      const row = tx.create(ApiKey, {
        id: uuidv7(),
        userId,
        name: dto.name,
        prefix: secret.prefix,
        secretHash: secret.hash,
        scopes: dto.scopes,
        expiresAt,
        lastUsedAt: null,
        revokedAt: null,
      });
      await tx.insert(ApiKey, row);
      await recordEvent(tx, {
        type: 'auth.api_key_created',
        aggregateType: 'api_key',
        aggregateId: row.id,
        actorId: userId,
        data: { userId, scopes: row.scopes, expiresAt: expiresAt?.toISOString() ?? null },
      });
      return tx.findOneByOrFail(ApiKey, { id: row.id });
    });
    return { ...mapApiKey(key), key: secret.key };
  }

  async list(userId: string): Promise<ApiKeyListDto> {
    const rows = await this.dataSource.manager.find(ApiKey, {
      where: { userId, revokedAt: IsNull() },
      order: { createdAt: 'DESC' },
    });
    return { data: rows.map(mapApiKey) };
  }

  /** Revokes one of the user's keys; someone else's (or an unknown id) is not found. */
  async revoke(userId: string, id: string): Promise<void> {
    await this.outbox.transaction(async (tx) => {
      const result = await tx.update(
        ApiKey,
        { id, userId, revokedAt: IsNull() },
        { revokedAt: new Date() },
      );
      if ((result.affected ?? 0) === 0) {
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
