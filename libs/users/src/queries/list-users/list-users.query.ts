import type { Page } from '@keel/core';
import { Query } from '@nestjs/cqrs';
import type { UserResponseDto } from '../../dto/user-response.dto';

export class ListUsersQuery extends Query<Page<UserResponseDto>> {
  constructor(
    readonly limit: number,
    readonly cursor?: string,
  ) {
    super();
  }
}
