import { authConfig, type AuthUser } from '@keel/core';
import { UsersService } from '@keel/users';
import { Inject, Injectable } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { PassportStrategy } from '@nestjs/passport';
import { ExtractJwt, Strategy } from 'passport-jwt';
import { InvalidAccessTokenError } from './auth.errors';
import { JWT_ALGORITHM, JWT_AUDIENCE, JWT_ISSUER, type AccessTokenClaims } from './tokens.service';

@Injectable()
export class JwtStrategy extends PassportStrategy(Strategy, 'jwt') {
  constructor(
    @Inject(authConfig.KEY) config: ConfigType<typeof authConfig>,
    private readonly users: UsersService,
  ) {
    super({
      jwtFromRequest: ExtractJwt.fromAuthHeaderAsBearerToken(),
      secretOrKey: config.jwtSecret,
      // Pinned: a token with `alg: none` or any other algorithm is refused.
      algorithms: [JWT_ALGORITHM],
      issuer: JWT_ISSUER,
      audience: JWT_AUDIENCE,
      ignoreExpiration: false,
    });
  }

  /** The user is read on each request, so disabling or deleting someone takes effect at once. */
  async validate(claims: AccessTokenClaims): Promise<AuthUser> {
    if (claims.typ !== 'access' || typeof claims.sub !== 'string')
      throw new InvalidAccessTokenError();
    const user = await this.users.findById(claims.sub);
    if (!user || user.disabled)
      throw new InvalidAccessTokenError('This account no longer has access.');
    return { id: user.id, email: user.email, roles: user.roles };
  }
}
