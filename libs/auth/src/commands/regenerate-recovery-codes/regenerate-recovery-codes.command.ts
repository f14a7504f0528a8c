import { Command } from '@nestjs/cqrs';
import type { FastifyReply } from 'fastify';
import type { RecoveryCodesDto } from '../../mfa/mfa.dto';

/** New recovery codes (the old ones stop working); needs a current code. */
export class RegenerateRecoveryCodesCommand extends Command<RecoveryCodesDto> {
  constructor(
    readonly userId: string,
    readonly code: string,
    /** Where the code-attempt limit's `RateLimit-*` headers go. */
    readonly reply: FastifyReply,
  ) {
    super();
  }
}
