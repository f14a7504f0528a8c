import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { toString as qrToString } from 'qrcode';
import { DataSource } from 'typeorm';
import { MfaStateError } from '../../auth.errors';
import type { TotpEnrolmentDto } from '../../mfa/mfa.dto';
import { MfaService } from '../../mfa/mfa.service';
import { newTotpSecret, totpFor } from '../../mfa/totp';
import { EnrolTotpCommand } from './enrol-totp.command';

/** Refused while TOTP is on; the secret is shown in this answer only. */
@CommandHandler(EnrolTotpCommand)
export class EnrolTotpHandler implements ICommandHandler<EnrolTotpCommand> {
  constructor(
    private readonly dataSource: DataSource,
    private readonly mfa: MfaService,
  ) {}

  async execute({ userId, email }: EnrolTotpCommand): Promise<TotpEnrolmentDto> {
    if (await this.mfa.isEnabled(userId))
      throw new MfaStateError('Two-factor authentication is on.');
    const secret = newTotpSecret();
    await this.dataSource.query(
      `INSERT INTO user_totp (user_id, secret_sealed) VALUES ($1, $2)
       ON CONFLICT (user_id) DO UPDATE SET secret_sealed = $2, enabled_at = NULL, last_used_step = NULL
       WHERE user_totp.enabled_at IS NULL`,
      [userId, this.mfa.sealSecret(secret)],
    );
    const otpauthUri = totpFor(secret, email).toString();
    return { otpauthUri, qrSvg: await qrToString(otpauthUri, { type: 'svg' }) };
  }
}
