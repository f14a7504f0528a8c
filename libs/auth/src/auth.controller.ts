import { ApiProblems, CurrentUser, Public, type AuthUser } from '@keel/core';
import { UserResponseDto } from '@keel/users';
import { Body, Controller, HttpCode, Post, UseGuards } from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiCreatedResponse,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
} from '@nestjs/swagger';
import { CommandBus } from '@nestjs/cqrs';
import { ChangePasswordCommand } from './commands/change-password/change-password.command';
import { LoginCommand } from './commands/login/login.command';
import { LogoutCommand } from './commands/logout/logout.command';
import { RefreshTokensCommand } from './commands/refresh-tokens/refresh-tokens.command';
import { RegisterCommand } from './commands/register/register.command';
import { IssueStreamTicketCommand } from './commands/issue-stream-ticket/issue-stream-ticket.command';
import {
  ChangePasswordDto,
  LoginDto,
  RefreshTokenDto,
  RegisterDto,
  StreamTicketDto,
  TokenResponseDto,
} from './dto/auth.dto';
import { AuthRateLimitGuard } from './guards/auth-rate-limit.guard';
import { Client } from './client-info.decorator';
import type { ClientInfo } from './tokens.service';

@ApiTags('auth')
@Controller('auth')
export class AuthController {
  constructor(private readonly commands: CommandBus) {}

  @Public()
  @Post('register')
  @UseGuards(AuthRateLimitGuard)
  @ApiOperation({ summary: 'Create an account' })
  @ApiCreatedResponse({ type: UserResponseDto })
  @ApiProblems(400, 409, 413, 415, 429)
  register(@Body() dto: RegisterDto): Promise<UserResponseDto> {
    return this.commands.execute(new RegisterCommand(dto));
  }

  @Public()
  @Post('login')
  @HttpCode(200)
  @UseGuards(AuthRateLimitGuard)
  @ApiOperation({ summary: 'Exchange email and password for tokens' })
  @ApiOkResponse({ type: TokenResponseDto })
  @ApiProblems(400, 401, 403, 429)
  login(@Body() dto: LoginDto, @Client() client: ClientInfo): Promise<TokenResponseDto> {
    return this.commands.execute(new LoginCommand(dto, client));
  }

  @Public()
  @Post('refresh')
  @HttpCode(200)
  @UseGuards(AuthRateLimitGuard)
  @ApiOperation({ summary: 'Exchange a refresh token for new tokens (the old one stops working)' })
  @ApiOkResponse({ type: TokenResponseDto })
  @ApiProblems(400, 401, 429)
  refresh(@Body() dto: RefreshTokenDto, @Client() client: ClientInfo): Promise<TokenResponseDto> {
    return this.commands.execute(new RefreshTokensCommand(dto.refreshToken, client));
  }

  @Public()
  @Post('logout')
  @HttpCode(204)
  @ApiOperation({ summary: 'End the session a refresh token belongs to' })
  @ApiNoContentResponse()
  @ApiProblems(400)
  logout(@Body() dto: RefreshTokenDto): Promise<void> {
    return this.commands.execute(new LogoutCommand(dto.refreshToken));
  }

  @Post('password')
  @HttpCode(204)
  @ApiBearerAuth()
  @ApiOperation({ summary: 'Change your password; ends all your sessions' })
  @ApiNoContentResponse()
  @ApiProblems(400, 401)
  changePassword(@CurrentUser() user: AuthUser, @Body() dto: ChangePasswordDto): Promise<void> {
    return this.commands.execute(new ChangePasswordCommand(user.id, dto));
  }

  @Post('tickets')
  @ApiBearerAuth()
  @ApiOperation({ summary: 'A one-minute ticket for opening the event stream from a browser' })
  @ApiCreatedResponse({ type: StreamTicketDto })
  @ApiProblems(401)
  issueTicket(@CurrentUser() user: AuthUser): Promise<StreamTicketDto> {
    return this.commands.execute(new IssueStreamTicketCommand(user.id));
  }
}
