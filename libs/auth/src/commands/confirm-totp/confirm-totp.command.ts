import { Command } from '@nestjs/cqrs';
import type { FastifyReply } from 'fastify';
import type { RecoveryCodesDto } from '../../mfa/mfa.dto';

/** Turns the pending TOTP secret on with a first valid code. */
export class ConfirmTotpCommand extends Command<RecoveryCodesDto> {
  constructor(
    readonly userId: string,
    readonly code: string,
    /** Where the code-attempt limit's `RateLimit-*` headers go. */
    readonly reply: FastifyReply,
  ) {
    super();
  }
}
