import { ApiProblems, CurrentUser, Public, type AuthUser } from '@keel/core';
import { Body, Controller, Delete, HttpCode, Post, Res, UseGuards } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import {
  ApiBearerAuth,
  ApiCreatedResponse,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
} from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { Client } from '../client-info.decorator';
import { ConfirmTotpCommand } from '../commands/confirm-totp/confirm-totp.command';
import { DisableTotpCommand } from '../commands/disable-totp/disable-totp.command';
import { EnrolTotpCommand } from '../commands/enrol-totp/enrol-totp.command';
import { RegenerateRecoveryCodesCommand } from '../commands/regenerate-recovery-codes/regenerate-recovery-codes.command';
import { VerifyMfaCommand } from '../commands/verify-mfa/verify-mfa.command';
import { TokenResponseDto } from '../dto/auth.dto';
import { AuthRateLimitGuard } from '../guards/auth-rate-limit.guard';
import type { ClientInfo } from '../tokens.service';
import {
  DisableTotpDto,
  RecoveryCodesDto,
  TotpCodeDto,
  TotpEnrolmentDto,
  VerifyMfaDto,
} from './mfa.dto';

@ApiTags('auth')
@Controller('auth/mfa')
export class MfaController {
  constructor(private readonly commands: CommandBus) {}

  @Post('totp')
  @ApiBearerAuth()
  @ApiOperation({
    operationId: 'startTotpEnrolment',
    summary: 'Start TOTP enrolment: a new secret as an otpauth URI and QR code',
  })
  @ApiCreatedResponse({ type: TotpEnrolmentDto })
  @ApiProblems(401, 409)
  enrol(@CurrentUser() user: AuthUser): Promise<TotpEnrolmentDto> {
    return this.commands.execute(new EnrolTotpCommand(user.id, user.email));
  }

  @Post('totp/confirm')
  @HttpCode(200)
  @ApiBearerAuth()
  @ApiOperation({
    operationId: 'confirmTotp',
    summary: 'Turn TOTP on with a first code; answers ten recovery codes once',
  })
  @ApiOkResponse({ type: RecoveryCodesDto })
  @ApiProblems(400, 401, 409, 429)
  confirm(
    @CurrentUser() user: AuthUser,
    @Body() dto: TotpCodeDto,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<RecoveryCodesDto> {
    return this.commands.execute(new ConfirmTotpCommand(user.id, dto.code, reply));
  }

  @Post('recovery-codes')
  @HttpCode(200)
  @ApiBearerAuth()
  @ApiOperation({
    operationId: 'regenerateRecoveryCodes',
    summary: 'Replace the recovery codes; needs a current code',
  })
  @ApiOkResponse({ type: RecoveryCodesDto })
  @ApiProblems(400, 401, 409, 429)
  regenerate(
    @CurrentUser() user: AuthUser,
    @Body() dto: TotpCodeDto,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<RecoveryCodesDto> {
    return this.commands.execute(new RegenerateRecoveryCodesCommand(user.id, dto.code, reply));
  }

  @Delete('totp')
  @HttpCode(204)
  @ApiBearerAuth()
  @ApiOperation({
    operationId: 'disableTotp',
    summary: 'Turn TOTP off; needs the password and a current code',
  })
  @ApiNoContentResponse()
  @ApiProblems(400, 401, 409, 429)
  disable(
    @CurrentUser() user: AuthUser,
    @Body() dto: DisableTotpDto,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<void> {
    return this.commands.execute(new DisableTotpCommand(user.id, dto, reply));
  }

  @Public()
  @Post('verify')
  @HttpCode(200)
  @UseGuards(AuthRateLimitGuard)
  @ApiOperation({
    operationId: 'verifyMfa',
    summary: 'Finish a sign-in: the login challenge and a code for tokens',
  })
  @ApiOkResponse({ type: TokenResponseDto })
  @ApiProblems(400, 401, 409, 429)
  verify(
    @Body() dto: VerifyMfaDto,
    @Client() client: ClientInfo,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<TokenResponseDto> {
    return this.commands.execute(new VerifyMfaCommand(dto, client, reply));
  }
}
