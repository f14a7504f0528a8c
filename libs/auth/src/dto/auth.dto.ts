import { ApiProperty } from '@nestjs/swagger';
import { IsEmail, IsString, Length, MaxLength } from 'class-validator';

const PASSWORD = { minLength: 8, maxLength: 128, example: 'correct horse battery staple' };

export class RegisterDto {
  @ApiProperty({ example: 'ada@example.com', maxLength: 254 })
  @IsEmail()
  @MaxLength(254)
  email!: string;

  @ApiProperty(PASSWORD)
  @IsString()
  @Length(8, 128)
  password!: string;

  @ApiProperty({ example: 'Ada Lovelace', minLength: 1, maxLength: 100 })
  @IsString()
  @Length(1, 100)
  displayName!: string;
}

export class LoginDto {
  @ApiProperty({ example: 'ada@example.com' })
  @IsEmail()
  @MaxLength(254)
  email!: string;

  @ApiProperty(PASSWORD)
  @IsString()
  @Length(1, 128)
  password!: string;
}

export class RefreshTokenDto {
  @ApiProperty({ description: 'The opaque refresh token from login or the last refresh.' })
  @IsString()
  @Length(1, 200)
  refreshToken!: string;
}

export class ChangePasswordDto {
  @ApiProperty(PASSWORD)
  @IsString()
  @Length(1, 128)
  currentPassword!: string;

  @ApiProperty(PASSWORD)
  @IsString()
  @Length(8, 128)
  newPassword!: string;
}

export class TokenResponseDto {
  @ApiProperty({ description: 'JWT; send as `Authorization: Bearer <accessToken>`.' })
  accessToken!: string;

  @ApiProperty({ description: 'Opaque; single use. Exchange it at /v1/auth/refresh.' })
  refreshToken!: string;

  @ApiProperty({ enum: ['Bearer'] })
  tokenType!: 'Bearer';

  @ApiProperty({ description: 'Seconds until the access token expires.', example: 900 })
  expiresIn!: number;
}

export class StreamTicketDto {
  @ApiProperty({ description: 'Pass as `?ticket=` to `GET /v1/events/stream`' })
  ticket!: string;

  @ApiProperty({ example: 60, description: 'Seconds the ticket can be used to connect' })
  expiresIn!: number;
}

export class MailTokenDto {
  @ApiProperty({ description: 'The token from the link in the mail.' })
  @IsString()
  @Length(1, 200)
  token!: string;
}

export class ForgotPasswordDto {
  @ApiProperty({ example: 'ada@example.com', maxLength: 254 })
  @IsEmail()
  @MaxLength(254)
  email!: string;
}

export class ResetPasswordDto {
  @ApiProperty({ description: 'The token from the link in the reset mail.' })
  @IsString()
  @Length(1, 200)
  token!: string;

  @ApiProperty(PASSWORD)
  @IsString()
  @Length(8, 128)
  password!: string;
}
