import { Query } from '@nestjs/cqrs';
import type { UserResponseDto } from '../../dto/user-response.dto';

export class GetUserQuery extends Query<UserResponseDto> {
  constructor(readonly userId: string) {
    super();
  }
}
