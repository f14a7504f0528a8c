import type { UserResponseDto } from '@keel/users';
import { Command } from '@nestjs/cqrs';
import type { RegisterDto } from '../../dto/auth.dto';

export class RegisterCommand extends Command<UserResponseDto> {
  constructor(readonly input: RegisterDto) {
    super();
  }
}
