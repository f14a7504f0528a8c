import { Command } from '@nestjs/cqrs';
import type { UpdateUserDto } from '../../dto/update-user.dto';
import type { UserResponseDto } from '../../dto/user-response.dto';

/**
 * An admin changes a user, or a user changes their own profile (actor = target). A null
 * actor is the operator at the command line (`keel users disable`).
 */
export class UpdateUserCommand extends Command<UserResponseDto> {
  constructor(
    readonly actorId: string | null,
    readonly userId: string,
    readonly changes: UpdateUserDto,
  ) {
    super();
  }
}
