import { Command } from '@nestjs/cqrs';
import type { LoginDto, TokenResponseDto } from '../../dto/auth.dto';
import type { MfaChallengeDto } from '../../mfa/mfa.dto';
import type { ClientInfo } from '../../tokens.service';

/** A write: a successful login stores a new refresh token (or, with TOTP on, a challenge). */
export class LoginCommand extends Command<TokenResponseDto | MfaChallengeDto> {
  constructor(
    readonly credentials: LoginDto,
    readonly client: ClientInfo,
  ) {
    super();
  }
}
