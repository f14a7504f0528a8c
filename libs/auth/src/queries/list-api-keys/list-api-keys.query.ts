import { Query } from '@nestjs/cqrs';
import type { ApiKeyListDto } from '../../dto/api-key.dto';

export class ListApiKeysQuery extends Query<ApiKeyListDto> {
  constructor(readonly userId: string) {
    super();
  }
}
