import { ALLOW_STREAM_TICKET_KEY, IS_PUBLIC_KEY } from '@keel/core';
import { ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { AuthGuard } from '@nestjs/passport';
import { ApiKeyAuthenticator } from '../api-key.authenticator';
import { InvalidAccessTokenError } from '../auth.errors';
import type { TicketRequest } from '../jwt.strategy';

/**
 * Global: every route needs a valid access token unless marked `@Public()`. An API key
 * (`Bearer keel_…`) is accepted instead only on routes marked `@AllowApiKey(scope)`.
 */
@Injectable()
export class JwtAuthGuard extends AuthGuard('jwt') {
  constructor(
    private readonly reflector: Reflector,
    private readonly apiKeys: ApiKeyAuthenticator,
  ) {
    super();
  }

  override canActivate(context: ExecutionContext) {
    const isPublic = this.reflector.getAllAndOverride<boolean>(IS_PUBLIC_KEY, [
      context.getHandler(),
      context.getClass(),
    ]);
    if (isPublic) return true;
    const request = context.switchToHttp().getRequest<TicketRequest>();
    const apiKey = ApiKeyAuthenticator.presented(request.headers.authorization);
    if (apiKey !== null) return this.apiKeys.authenticate(context, apiKey).then(() => true);
    if (this.reflector.get<boolean>(ALLOW_STREAM_TICKET_KEY, context.getHandler())) {
      request.streamTicketAllowed = true;
    }
    return super.canActivate(context);
  }

  override handleRequest<TUser>(error: unknown, user: TUser | false, info: unknown): TUser {
    // Errors from validate() (a database outage, say) keep their own meaning. Not
    // `instanceof Error`: socket errors are made in another realm under test runners.
    if (error) throw error as Error;
    if (!user) {
      const expired = (info as { name?: unknown } | undefined)?.name === 'TokenExpiredError';
      throw new InvalidAccessTokenError(expired ? 'The access token has expired.' : undefined);
    }
    return user;
  }
}
