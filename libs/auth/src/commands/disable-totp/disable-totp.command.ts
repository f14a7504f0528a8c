import { Command } from '@nestjs/cqrs';
import type { FastifyReply } from 'fastify';
import type { DisableTotpDto } from '../../mfa/mfa.dto';

/** Turns TOTP off; needs the password and a current code. */
export class DisableTotpCommand extends Command<void> {
  constructor(
    readonly userId: string,
    readonly input: DisableTotpDto,
    /** Where the code-attempt limit's `RateLimit-*` headers go. */
    readonly reply: FastifyReply,
  ) {
    super();
  }
}
