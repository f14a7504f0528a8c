import { Command } from '@nestjs/cqrs';
import type { LoginDto, TokenResponseDto } from '../../dto/auth.dto';
import type { ClientInfo } from '../../tokens.service';

/** A write: a successful login stores a new refresh token. */
export class LoginCommand extends Command<TokenResponseDto> {
  constructor(
    readonly credentials: LoginDto,
    readonly client: ClientInfo,
  ) {
    super();
  }
}
