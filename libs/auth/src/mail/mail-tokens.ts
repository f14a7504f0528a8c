import { uuidv7 } from '@keel/core';
import { Injectable } from '@nestjs/common';
import { createHash, randomBytes } from 'node:crypto';
import { IsNull, MoreThan, type EntityManager } from 'typeorm';
import { AuthToken, type AuthTokenKind } from '../entities/auth-token.entity';

export const TOKEN_TTL_MS: Record<AuthTokenKind, number> = {
  email_verification: 24 * 3_600_000,
  password_reset: 30 * 60_000,
};

/** Issues and consumes the single-use tokens that mails carry. */
@Injectable()
export class MailTokens {
  /** Stores a new token's hash in `tx` and returns the token itself (for the mail only). */
  async issue(tx: EntityManager, kind: AuthTokenKind, userId: string): Promise<string> {
    const token = randomBytes(32).toString('base64url');
    await tx.insert(AuthToken, {
      id: uuidv7(),
      kind,
      userId,
      tokenHash: hashToken(token),
      expiresAt: new Date(Date.now() + TOKEN_TTL_MS[kind]),
    });
    return token;
  }

  /**
   * Marks the token used and returns its user, or null when it is unknown, of another kind,
   * expired or already used. One conditional update: two concurrent uses cannot both win.
   */
  async consume(tx: EntityManager, kind: AuthTokenKind, token: string): Promise<string | null> {
    const hash = hashToken(token);
    const result = await tx.update(
      AuthToken,
      { tokenHash: hash, kind, usedAt: IsNull(), expiresAt: MoreThan(new Date()) },
      { usedAt: new Date() },
    );
    if (!result.affected) return null;
    const row = await tx.findOneByOrFail(AuthToken, { tokenHash: hash });
    return row.userId;
  }
}

function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}
