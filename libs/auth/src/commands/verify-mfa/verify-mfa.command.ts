import { Command } from '@nestjs/cqrs';
import type { FastifyReply } from 'fastify';
import type { TokenResponseDto } from '../../dto/auth.dto';
import type { VerifyMfaDto } from '../../mfa/mfa.dto';
import type { ClientInfo } from '../../tokens.service';

/** Finishes a sign-in: the login's challenge and a code (or a recovery code) for tokens. */
export class VerifyMfaCommand extends Command<TokenResponseDto> {
  constructor(
    readonly input: VerifyMfaDto,
    readonly client: ClientInfo,
    /** Where the code-attempt limit's `RateLimit-*` headers go. */
    readonly reply: FastifyReply,
  ) {
    super();
  }
}
