import { Command } from '@nestjs/cqrs';
import type { ChangePasswordDto } from '../../dto/auth.dto';

export class ChangePasswordCommand extends Command<void> {
  constructor(
    readonly userId: string,
    readonly input: ChangePasswordDto,
  ) {
    super();
  }
}
