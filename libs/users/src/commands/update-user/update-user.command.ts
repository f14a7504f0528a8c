import { Command } from '@nestjs/cqrs';
import type { UpdateUserDto } from '../../dto/update-user.dto';
import type { UserResponseDto } from '../../dto/user-response.dto';

/** An admin changes a user, or a user changes their own profile (actor = target). */
export class UpdateUserCommand extends Command<UserResponseDto> {
  constructor(
    readonly actorId: string,
    readonly userId: string,
    readonly changes: UpdateUserDto,
  ) {
    super();
  }
}
