import { ApiProblems, Public } from '@keel/core';
import { Controller, Get, Redirect, Res, UseGuards } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import {
  ApiExtraModels,
  ApiOkResponse,
  ApiOperation,
  ApiQuery,
  ApiResponse,
  ApiTags,
  getSchemaPath,
} from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { Client } from '../client-info.decorator';
import { OidcAuthorizeCommand } from '../commands/oidc-authorize/oidc-authorize.command';
import { OidcCallbackCommand } from '../commands/oidc-callback/oidc-callback.command';
import { TokenResponseDto } from '../dto/auth.dto';
import { AuthRateLimitGuard } from '../guards/auth-rate-limit.guard';
import { MfaChallengeDto } from '../mfa/mfa.dto';
import type { ClientInfo } from '../tokens.service';
import { BrowserState, CallbackQuery } from './oidc-browser';

@ApiTags('auth')
@ApiExtraModels(TokenResponseDto, MfaChallengeDto)
@Controller('auth/oidc')
export class OidcController {
  constructor(private readonly commands: CommandBus) {}

  @Public()
  @Get('authorize')
  @Redirect()
  @UseGuards(AuthRateLimitGuard)
  @ApiOperation({
    operationId: 'startOidcLogin',
    summary: 'Start single sign-on: redirects the browser to the OpenID Connect provider',
    description:
      'Open in the browser (a navigation, not a fetch). The answer sets a cookie that the callback must receive from the same browser within 10 minutes. 404 when single sign-on is not configured.',
  })
  @ApiResponse({
    status: 302,
    description: 'To the provider’s authorization endpoint (state, nonce and PKCE challenge).',
    headers: {
      Location: { description: 'The provider’s authorization URL.', schema: { type: 'string' } },
      'Set-Cookie': {
        description: '`keel_oidc_state`: ties the callback to this browser.',
        schema: { type: 'string' },
      },
    },
  })
  @ApiProblems(404, 429, 503)
  async authorize(
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<{ url: string; statusCode: number }> {
    const { url, cookie } = await this.commands.execute(new OidcAuthorizeCommand());
    reply.header('set-cookie', cookie);
    return { url, statusCode: 302 };
  }

  @Public()
  @Get('callback')
  @UseGuards(AuthRateLimitGuard)
  @ApiOperation({
    operationId: 'finishOidcLogin',
    summary: 'Finish single sign-on: the provider redirects here; answers tokens like login',
    description:
      'Checks the state (single use, from the browser that started), exchanges the code with the PKCE verifier and verifies the ID token (signature against the provider’s keys, issuer, audience, expiry, nonce). A first sign-in links the account with the same email, or creates one, only when the provider says the email is verified. With two-factor authentication on, answers a challenge for /v1/auth/mfa/verify.',
  })
  @ApiQuery({ name: 'code', required: false, description: 'The authorization code.' })
  @ApiQuery({ name: 'state', required: true, description: 'The state sent to the provider.' })
  @ApiQuery({
    name: 'iss',
    required: false,
    description: 'The provider (RFC 9207), if it sends it.',
  })
  @ApiQuery({
    name: 'error',
    required: false,
    description: 'The provider’s refusal, instead of a code.',
  })
  @ApiOkResponse({
    description: 'Tokens; with two-factor authentication on, a challenge for /v1/auth/mfa/verify.',
    schema: {
      oneOf: [{ $ref: getSchemaPath(TokenResponseDto) }, { $ref: getSchemaPath(MfaChallengeDto) }],
    },
  })
  @ApiProblems(401, 403, 404, 409, 429, 503)
  callback(
    @CallbackQuery() query: string,
    @BrowserState() browserState: string | undefined,
    @Client() client: ClientInfo,
  ): Promise<TokenResponseDto | MfaChallengeDto> {
    return this.commands.execute(new OidcCallbackCommand(query, browserState, client));
  }
}
