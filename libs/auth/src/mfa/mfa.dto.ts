import { ApiProperty } from '@nestjs/swagger';
import { IsString, Length, Matches } from 'class-validator';

export class TotpEnrolmentDto {
  @ApiProperty({ description: 'Add to an authenticator app; contains the secret, shown once.' })
  otpauthUri!: string;

  @ApiProperty({ description: 'The same URI as a QR code (SVG markup).' })
  qrSvg!: string;
}

export class TotpCodeDto {
  @ApiProperty({ example: '123456', description: 'The current code from the authenticator app.' })
  @IsString()
  @Matches(/^\d{6}$/)
  code!: string;
}

export class DisableTotpDto extends TotpCodeDto {
  @ApiProperty({ description: 'Your current password.' })
  @IsString()
  @Length(1, 128)
  password!: string;
}

export class RecoveryCodesDto {
  @ApiProperty({
    type: [String],
    description: 'Ten single-use codes for signing in without the app; shown only this once.',
  })
  recoveryCodes!: string[];
}

export class MfaChallengeDto {
  @ApiProperty({ enum: [true] })
  mfaRequired!: true;

  @ApiProperty({ description: 'Send with a code to /v1/auth/mfa/verify; single use.' })
  challenge!: string;

  @ApiProperty({ example: 300, description: 'Seconds the challenge stays valid.' })
  expiresIn!: number;
}

export class VerifyMfaDto {
  @ApiProperty({ description: 'The challenge the login answered.' })
  @IsString()
  @Length(1, 100)
  challenge!: string;

  @ApiProperty({ example: '123456', description: 'A code from the app, or a recovery code.' })
  @IsString()
  @Length(6, 40)
  code!: string;
}
