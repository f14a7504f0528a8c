import { authConfig, type AuthUser } from '@keel/core';
import { UserStatusCache } from '@keel/users';
import { Inject, Injectable } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { PassportStrategy } from '@nestjs/passport';
import { createSecretKey } from 'node:crypto';
import { ExtractJwt, Strategy } from 'passport-jwt';
import { InvalidAccessTokenError } from './auth.errors';
import { SessionStatusCache } from './session-status.cache';
import { JWT_ALGORITHM, JWT_AUDIENCE, JWT_ISSUER, type AccessTokenClaims } from './tokens.service';

/** What the strategy reads of the request. */
export interface TicketRequest {
  headers: { authorization?: string };
  query?: { ticket?: unknown };
  /** Set by JwtAuthGuard on routes marked `@AllowStreamTicket()`. */
  streamTicketAllowed?: boolean;
}

@Injectable()
export class JwtStrategy extends PassportStrategy(Strategy, 'jwt') {
  constructor(
    @Inject(authConfig.KEY) config: ConfigType<typeof authConfig>,
    private readonly status: UserStatusCache,
    private readonly sessions: SessionStatusCache,
  ) {
    super({
      jwtFromRequest: ExtractJwt.fromExtractors([
        ExtractJwt.fromAuthHeaderAsBearerToken(),
        // Only where the guard allowed it (the event stream) and only a ticket (see validate).
        (req: TicketRequest) =>
          req.streamTicketAllowed && typeof req.query?.ticket === 'string'
            ? req.query.ticket
            : null,
      ]),
      passReqToCallback: true,
      // A KeyObject made once: given the string, jsonwebtoken tries to parse it as a PEM public
      // key on every request and only then falls back to HMAC (an exception per request). It
      // accepts a KeyObject; passport-jwt's typings only list string and Buffer.
      secretOrKey: createSecretKey(Buffer.from(config.jwtSecret)) as unknown as Buffer,
      // Pinned: a token with `alg: none` or any other algorithm is refused.
      algorithms: [JWT_ALGORITHM],
      issuer: JWT_ISSUER,
      audience: JWT_AUDIENCE,
      ignoreExpiration: false,
    });
  }

  /**
   * The account's status comes from UserStatusCache, not from a read per request: disabling,
   * deleting or changing someone's roles drops it on every replica before the admin's request
   * answers (the guarantee and its limits are in AggregateCache and the README, Auth). The
   * session a token names (`sid`) comes from SessionStatusCache the same way: ending it
   * refuses its access tokens at once. Tokens without `sid` (tickets, older tokens) name none.
   */
  async validate(req: TicketRequest, claims: AccessTokenClaims): Promise<AuthUser> {
    // A header carries access tokens only; `?ticket=` carries tickets only.
    const expected = req.headers.authorization ? 'access' : 'ticket';
    // jsonwebtoken checks `exp` only when present: a token without it would never expire.
    if (
      claims.typ !== expected ||
      typeof claims.sub !== 'string' ||
      typeof claims.exp !== 'number' ||
      typeof claims.iat !== 'number'
    )
      throw new InvalidAccessTokenError();
    const sid = typeof claims.sid === 'string' ? claims.sid : undefined;
    const [user, session] = await Promise.all([
      this.status.get(claims.sub),
      sid === undefined ? undefined : this.sessions.get(sid),
    ]);
    if (!user || user.disabled)
      throw new InvalidAccessTokenError('This account no longer has access.');
    if (session !== undefined && (!session || session.ended || session.userId !== user.id))
      throw new InvalidAccessTokenError('This session has ended.');
    return {
      id: user.id,
      email: user.email,
      roles: user.roles,
      ...(sid !== undefined ? { sessionId: sid } : {}),
    };
  }
}
