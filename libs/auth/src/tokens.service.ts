import { authConfig, uuidv7 } from '@keel/core';
import { Inject, Injectable } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { JwtService } from '@nestjs/jwt';
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { EntityManager, IsNull } from 'typeorm';
import type { TokenResponseDto } from './dto/auth.dto';
import { RefreshToken } from './entities/refresh-token.entity';
import { Session } from './entities/session.entity';

/** Who signed in: the device and address a session shows. */
export interface ClientInfo {
  userAgent: string | null;
  ipAddress: string | null;
}

export const JWT_ISSUER = 'keel';
export const JWT_AUDIENCE = 'keel-api';
export const JWT_ALGORITHM = 'HS256';

export interface AccessTokenClaims {
  sub: string;
  /** `ticket`: a one-minute token only accepted as `?ticket=` by the event stream. */
  typ: 'access' | 'ticket';
  /** The session (refresh-token family) an access token was issued for. */
  sid?: string;
  /** Set by the signer; required on the way in (see JwtStrategy.validate). */
  iat?: number;
  exp?: number;
}

export const STREAM_TICKET_TTL_SECONDS = 60;

interface ParsedRefreshToken {
  id: string;
  secret: string;
}

const REFRESH_TOKEN_FORMAT = /^([0-9a-f-]{36})\.([A-Za-z0-9_-]{43})$/;

function sha256(value: string): string {
  return createHash('sha256').update(value).digest('hex');
}

/** Issues access tokens (JWT) and the opaque, rotating refresh tokens. */
@Injectable()
export class TokensService {
  /** Derives successors' secrets; a key of its own, so the JWT key signs nothing else. */
  private readonly successorKey: Buffer;

  constructor(
    private readonly jwt: JwtService,
    @Inject(authConfig.KEY) private readonly config: ConfigType<typeof authConfig>,
  ) {
    this.successorKey = createHmac('sha256', config.jwtSecret)
      .update('keel refresh-token successor')
      .digest();
  }

  parseRefreshToken(token: string): ParsedRefreshToken | null {
    const match = REFRESH_TOKEN_FORMAT.exec(token);
    return match ? { id: match[1], secret: match[2] } : null;
  }

  secretMatches(row: RefreshToken, secret: string): boolean {
    return timingSafeEqual(Buffer.from(row.tokenHash), Buffer.from(sha256(secret)));
  }

  /** A token for opening the event stream from a browser's EventSource (no headers there). */
  issueStreamTicket(userId: string): Promise<string> {
    const claims: AccessTokenClaims = { sub: userId, typ: 'ticket' };
    return this.jwt.signAsync(claims, { expiresIn: STREAM_TICKET_TTL_SECONDS });
  }

  /** A new access token and a new refresh token in a new family, a new session (a sign-in). */
  async issue(
    manager: EntityManager,
    userId: string,
    client: ClientInfo,
  ): Promise<TokenResponseDto> {
    const secret = randomBytes(32).toString('base64url');
    const now = new Date();
    const familyId = uuidv7();
    await manager.insert(Session, {
      id: familyId,
      userId,
      userAgent: client.userAgent?.slice(0, 512) ?? null,
      ipAddress: client.ipAddress?.slice(0, 64) ?? null,
      createdAt: now,
      lastUsedAt: now,
      endedAt: null,
    });
    const row = await this.insert(manager, userId, familyId, secret);
    return this.respond(row, secret);
  }

  /** Marks `used` used and issues its successor in the same family. */
  async rotate(manager: EntityManager, used: RefreshToken): Promise<TokenResponseDto> {
    const secret = this.successorSecret(used);
    const row = await this.insert(manager, used.userId, used.familyId, secret);
    await manager.update(RefreshToken, { id: used.id }, { usedAt: new Date(), replacedBy: row.id });
    return this.respond(row, secret);
  }

  /** The successor `rotate` issued for `used` again, with a fresh access token. */
  reissue(used: RefreshToken, successor: RefreshToken): Promise<TokenResponseDto> {
    return this.respond(successor, this.successorSecret(used));
  }

  /**
   * Derived from the used token's id rather than random, so a second tab presenting the same
   * token can be handed the identical successor without its secret being stored anywhere.
   */
  private successorSecret(used: RefreshToken): string {
    return createHmac('sha256', this.successorKey).update(used.id).digest('base64url');
  }

  private async insert(
    manager: EntityManager,
    userId: string,
    familyId: string,
    secret: string,
  ): Promise<RefreshToken> {
    const row = manager.create(RefreshToken, {
      id: uuidv7(),
      userId,
      familyId,
      tokenHash: sha256(secret),
      expiresAt: new Date(Date.now() + this.config.refreshTokenTtlSeconds * 1000),
      usedAt: null,
      replacedBy: null,
      revokedAt: null,
    });
    await manager.insert(RefreshToken, row);
    return row;
  }

  private async respond(row: RefreshToken, secret: string): Promise<TokenResponseDto> {
    const claims: AccessTokenClaims = { sub: row.userId, typ: 'access', sid: row.familyId };
    return {
      accessToken: await this.jwt.signAsync(claims),
      refreshToken: `${row.id}.${secret}`,
      tokenType: 'Bearer',
      expiresIn: this.config.accessTokenTtlSeconds,
    };
  }

  /**
   * Records a refresh of the session; false when it has ended (its tokens are then refused,
   * including a successor rotated while the session was being ended).
   */
  async touchSession(
    manager: EntityManager,
    familyId: string,
    client: ClientInfo,
  ): Promise<boolean> {
    const result = await manager.update(
      Session,
      { id: familyId, endedAt: IsNull() },
      { lastUsedAt: new Date(), ipAddress: client.ipAddress?.slice(0, 64) ?? null },
    );
    return (result.affected ?? 0) > 0;
  }

  /** Ends the session: its refresh tokens are revoked. Tokens first, then the session (lock order). */
  async revokeFamily(manager: EntityManager, familyId: string): Promise<void> {
    const now = new Date();
    await manager.update(RefreshToken, { familyId, revokedAt: IsNull() }, { revokedAt: now });
    await manager.update(Session, { id: familyId, endedAt: IsNull() }, { endedAt: now });
  }

  async revokeAllForUser(manager: EntityManager, userId: string): Promise<void> {
    const now = new Date();
    await manager.update(RefreshToken, { userId, revokedAt: IsNull() }, { revokedAt: now });
    await manager.update(Session, { userId, endedAt: IsNull() }, { endedAt: now });
  }
}
