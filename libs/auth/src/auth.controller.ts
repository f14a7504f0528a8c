import { ApiProblems, CurrentUser, Public, type AuthUser } from '@keel/core';
import { UserResponseDto } from '@keel/users';
import { Body, Controller, HttpCode, Post, UseGuards } from '@nestjs/common';
import {
  ApiAcceptedResponse,
  ApiBearerAuth,
  ApiCreatedResponse,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiOperation,
  ApiExtraModels,
  ApiTags,
  getSchemaPath,
} from '@nestjs/swagger';
import { CommandBus } from '@nestjs/cqrs';
import { ChangePasswordCommand } from './commands/change-password/change-password.command';
import { LoginCommand } from './commands/login/login.command';
import { LogoutCommand } from './commands/logout/logout.command';
import { RefreshTokensCommand } from './commands/refresh-tokens/refresh-tokens.command';
import { RegisterCommand } from './commands/register/register.command';
import { IssueStreamTicketCommand } from './commands/issue-stream-ticket/issue-stream-ticket.command';
import { ForgotPasswordCommand } from './commands/forgot-password/forgot-password.command';
import { ResetPasswordCommand } from './commands/reset-password/reset-password.command';
import { ResendVerificationCommand } from './commands/resend-verification/resend-verification.command';
import { VerifyEmailCommand } from './commands/verify-email/verify-email.command';
import {
  ChangePasswordDto,
  ForgotPasswordDto,
  LoginDto,
  MailTokenDto,
  RefreshTokenDto,
  RegisterDto,
  ResetPasswordDto,
  StreamTicketDto,
  TokenResponseDto,
} from './dto/auth.dto';
import { AuthRateLimitGuard } from './guards/auth-rate-limit.guard';
import { Client } from './client-info.decorator';
import type { ClientInfo } from './tokens.service';
import { MfaChallengeDto } from './mfa/mfa.dto';

@ApiTags('auth')
@ApiExtraModels(TokenResponseDto, MfaChallengeDto)
@Controller('auth')
export class AuthController {
  constructor(private readonly commands: CommandBus) {}

  @Public()
  @Post('register')
  @UseGuards(AuthRateLimitGuard)
  @ApiOperation({ operationId: 'register', summary: 'Create an account' })
  @ApiCreatedResponse({ type: UserResponseDto })
  @ApiProblems(400, 409, 413, 415, 429)
  register(@Body() dto: RegisterDto): Promise<UserResponseDto> {
    return this.commands.execute(new RegisterCommand(dto));
  }

  @Public()
  @Post('login')
  @HttpCode(200)
  @UseGuards(AuthRateLimitGuard)
  @ApiOperation({ operationId: 'login', summary: 'Exchange email and password for tokens' })
  @ApiOkResponse({
    description: 'Tokens; with two-factor authentication on, a challenge for /v1/auth/mfa/verify.',
    schema: {
      oneOf: [{ $ref: getSchemaPath(TokenResponseDto) }, { $ref: getSchemaPath(MfaChallengeDto) }],
    },
  })
  @ApiProblems(400, 401, 403, 429)
  login(
    @Body() dto: LoginDto,
    @Client() client: ClientInfo,
  ): Promise<TokenResponseDto | MfaChallengeDto> {
    return this.commands.execute(new LoginCommand(dto, client));
  }

  @Public()
  @Post('refresh')
  @HttpCode(200)
  @UseGuards(AuthRateLimitGuard)
  @ApiOperation({
    operationId: 'refresh',
    summary: 'Exchange a refresh token for new tokens (the old one stops working)',
  })
  @ApiOkResponse({ type: TokenResponseDto })
  @ApiProblems(400, 401, 429)
  refresh(@Body() dto: RefreshTokenDto, @Client() client: ClientInfo): Promise<TokenResponseDto> {
    return this.commands.execute(new RefreshTokensCommand(dto.refreshToken, client));
  }

  @Public()
  @Post('logout')
  @HttpCode(204)
  @ApiOperation({ operationId: 'logout', summary: 'End the session a refresh token belongs to' })
  @ApiNoContentResponse()
  @ApiProblems(400)
  logout(@Body() dto: RefreshTokenDto): Promise<void> {
    return this.commands.execute(new LogoutCommand(dto.refreshToken));
  }

  @Post('password')
  @HttpCode(204)
  @ApiBearerAuth()
  @ApiOperation({
    operationId: 'changePassword',
    summary: 'Change your password; ends all your sessions',
  })
  @ApiNoContentResponse()
  @ApiProblems(400, 401)
  changePassword(@CurrentUser() user: AuthUser, @Body() dto: ChangePasswordDto): Promise<void> {
    return this.commands.execute(new ChangePasswordCommand(user.id, dto));
  }

  @Post('tickets')
  @ApiBearerAuth()
  @ApiOperation({
    operationId: 'issueStreamTicket',
    summary: 'A one-minute ticket for opening the event stream from a browser',
  })
  @ApiCreatedResponse({ type: StreamTicketDto })
  @ApiProblems(401)
  issueTicket(@CurrentUser() user: AuthUser): Promise<StreamTicketDto> {
    return this.commands.execute(new IssueStreamTicketCommand(user.id));
  }

  @Public()
  @Post('email/verify')
  @HttpCode(204)
  @UseGuards(AuthRateLimitGuard)
  @ApiOperation({
    operationId: 'verifyEmail',
    summary: 'Confirm your email address with the token from the mailed link',
  })
  @ApiNoContentResponse()
  @ApiProblems(400, 429)
  verifyEmail(@Body() dto: MailTokenDto): Promise<void> {
    return this.commands.execute(new VerifyEmailCommand(dto.token));
  }

  @Post('email/resend')
  @HttpCode(202)
  @UseGuards(AuthRateLimitGuard)
  @ApiBearerAuth()
  @ApiOperation({
    operationId: 'resendVerificationEmail',
    summary: 'Mail yourself a new verification link',
  })
  @ApiAcceptedResponse({ description: 'The mail is on its way.' })
  @ApiProblems(401, 409, 429)
  resendVerification(@CurrentUser() user: AuthUser): Promise<void> {
    return this.commands.execute(new ResendVerificationCommand(user.id));
  }

  @Public()
  @Post('password/forgot')
  @HttpCode(202)
  @UseGuards(AuthRateLimitGuard)
  @ApiOperation({
    operationId: 'forgotPassword',
    summary: 'Mail a password reset link',
    description:
      'Answers the same whether or not an account has this address; the link works once, for 30 minutes.',
  })
  @ApiAcceptedResponse({ description: 'If the account exists, the mail is on its way.' })
  @ApiProblems(400, 429)
  forgotPassword(@Body() dto: ForgotPasswordDto): Promise<void> {
    return this.commands.execute(new ForgotPasswordCommand(dto.email));
  }

  @Public()
  @Post('password/reset')
  @HttpCode(204)
  @UseGuards(AuthRateLimitGuard)
  @ApiOperation({
    operationId: 'resetPassword',
    summary: 'Set a new password with the mailed token; ends all sessions',
  })
  @ApiNoContentResponse()
  @ApiProblems(400, 429)
  resetPassword(@Body() dto: ResetPasswordDto): Promise<void> {
    return this.commands.execute(new ResetPasswordCommand(dto));
  }
}
