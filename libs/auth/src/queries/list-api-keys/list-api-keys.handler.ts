import { QueryHandler, type IQueryHandler } from '@nestjs/cqrs';
import { InjectRepository } from '@nestjs/typeorm';
import { IsNull, Repository } from 'typeorm';
import { mapApiKey, type ApiKeyListDto } from '../../dto/api-key.dto';
import { ApiKey } from '../../entities/api-key.entity';
import { ListApiKeysQuery } from './list-api-keys.query';

/** The user's keys that are not revoked; never the key itself (only its hash is stored). */
@QueryHandler(ListApiKeysQuery)
export class ListApiKeysHandler implements IQueryHandler<ListApiKeysQuery> {
  constructor(@InjectRepository(ApiKey) private readonly keys: Repository<ApiKey>) {}

  async execute({ userId }: ListApiKeysQuery): Promise<ApiKeyListDto> {
    const rows = await this.keys.find({
      where: { userId, revokedAt: IsNull() },
      order: { createdAt: 'DESC' },
    });
    return { data: rows.map(mapApiKey) };
  }
}
