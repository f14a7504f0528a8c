import { Command } from '@nestjs/cqrs';
import type { TokenResponseDto } from '../../dto/auth.dto';

export class RefreshTokensCommand extends Command<TokenResponseDto> {
  constructor(readonly refreshToken: string) {
    super();
  }
}
