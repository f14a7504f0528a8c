import { Command } from '@nestjs/cqrs';
import type { TokenResponseDto } from '../../dto/auth.dto';
import type { ClientInfo } from '../../tokens.service';

export class RefreshTokensCommand extends Command<TokenResponseDto> {
  constructor(
    readonly refreshToken: string,
    readonly client: ClientInfo,
  ) {
    super();
  }
}
