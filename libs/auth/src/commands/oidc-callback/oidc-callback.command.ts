import { Command } from '@nestjs/cqrs';
import type { TokenResponseDto } from '../../dto/auth.dto';
import type { MfaChallengeDto } from '../../mfa/mfa.dto';
import type { ClientInfo } from '../../tokens.service';

/** A write: consumes the sign-in's state, may link or create the account, starts a session. */
export class OidcCallbackCommand extends Command<TokenResponseDto | MfaChallengeDto> {
  constructor(
    /** The callback's query string as the provider sent it (code, state, iss, or an error). */
    readonly query: string,
    /** The state the authorize answer left in this browser's cookie. */
    readonly browserState: string | undefined,
    readonly client: ClientInfo,
  ) {
    super();
  }
}
