import { Command } from '@nestjs/cqrs';
import type { ResetPasswordDto } from '../../dto/auth.dto';

export class ResetPasswordCommand extends Command<void> {
  constructor(readonly input: ResetPasswordDto) {
    super();
  }
}
