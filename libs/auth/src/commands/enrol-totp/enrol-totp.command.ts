import { Command } from '@nestjs/cqrs';
import type { TotpEnrolmentDto } from '../../mfa/mfa.dto';

/** Starts TOTP enrolment: a new pending secret, replacing any earlier pending one. */
export class EnrolTotpCommand extends Command<TotpEnrolmentDto> {
  constructor(
    readonly userId: string,
    /** The account name the authenticator app shows. */
    readonly email: string,
  ) {
    super();
  }
}
