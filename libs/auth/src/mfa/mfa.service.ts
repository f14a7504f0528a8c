import {
  authConfig,
  consumeRateLimits,
  Metrics,
  RateLimitStore,
  TokenSeal,
  uuidv7,
} from '@keel/core';
import { recordEvent } from '@keel/events';
import { Inject, Injectable, Logger } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import type { FastifyReply } from 'fastify';
import { randomBytes } from 'node:crypto';
import { DataSource, type EntityManager } from 'typeorm';
import { InvalidMfaCodeError, MfaStateError } from '../auth.errors';
import type { MfaChallengeDto } from './mfa.dto';
import { matchingStep, newRecoveryCodes, recoveryCodeHash, sha256 } from './totp';

export const MFA_CHALLENGE_TTL_SECONDS = 300;

export interface TotpRow {
  secret_sealed: string;
  enabled_at: Date | null;
}

/**
 * TOTP (RFC 6238) second factor, what its commands (commands/*-totp, verify-mfa,
 * regenerate-recovery-codes) and the login share: the sealed secret, the per-account code
 * attempt limit, single use of codes, the login challenge. The secret is stored sealed
 * (AES-256-GCM, key derived from the server secret) and only ever shown in the enrolment answer.
 */
@Injectable()
export class MfaService {
  private readonly seal: TokenSeal;
  private readonly logger = new Logger('Auth');

  constructor(
    private readonly dataSource: DataSource,
    private readonly store: RateLimitStore,
    private readonly metrics: Metrics,
    @Inject(authConfig.KEY) private readonly cfg: ConfigType<typeof authConfig>,
  ) {
    this.seal = new TokenSeal(cfg.sealingSecrets, 'totp secret seal');
  }

  async isEnabled(userId: string): Promise<boolean> {
    const row = await this.totpRow(this.dataSource.manager, userId);
    return row?.enabled_at != null;
  }

  sealSecret(secret: string): string {
    return this.seal.seal(secret);
  }

  /** What a login answers instead of tokens when TOTP is on: a single-use, 5-minute challenge. */
  async challenge(userId: string): Promise<MfaChallengeDto> {
    const challenge = randomBytes(32).toString('base64url');
    await this.dataSource.query(
      `INSERT INTO mfa_challenges (id, user_id, token_hash, expires_at) VALUES ($1, $2, $3, $4)`,
      [
        uuidv7(),
        userId,
        sha256(challenge),
        new Date(Date.now() + MFA_CHALLENGE_TTL_SECONDS * 1000),
      ],
    );
    return { mfaRequired: true, challenge, expiresIn: MFA_CHALLENGE_TTL_SECONDS };
  }

  /** Counts one code attempt of the account; over the limit, a 429. */
  async limitCodeAttempts(userId: string, reply: FastifyReply): Promise<void> {
    await consumeRateLimits(
      this.store,
      reply,
      [
        {
          name: 'mfa_code',
          key: `auth:mfa:${userId}`,
          // Per account and rate-limit window (AUTH_RATE_LIMIT_WINDOW_SECONDS).
          limit: this.cfg.mfaMaxAttempts,
          windowMs: this.cfg.rateLimitWindowSeconds * 1000,
        },
      ],
      this.metrics,
    );
  }

  async totpRow(manager: EntityManager, userId: string): Promise<TotpRow | null> {
    const [row] = await manager.query<TotpRow[]>(
      `SELECT secret_sealed, enabled_at FROM user_totp WHERE user_id = $1`,
      [userId],
    );
    return row ?? null;
  }

  async enabledRow(manager: EntityManager, userId: string): Promise<TotpRow> {
    const row = await this.totpRow(manager, userId);
    if (!row?.enabled_at) throw new MfaStateError('Two-factor authentication is off.');
    return row;
  }

  /**
   * The TOTP secret, or null when no key of the ring opens it (its key was taken out of
   * ENCRYPTION_KEYS): then no code matches, and a recovery code is the way in.
   */
  private openSecret(userId: string, row: TotpRow): string | null {
    try {
      return this.seal.open(row.secret_sealed);
    } catch {
      this.logger.error({ userId }, 'no key in ENCRYPTION_KEYS or JWT_SECRET opens a TOTP secret');
      return null;
    }
  }

  /** Accepts a code within ±1 step whose step is later than any step used before. */
  async useTotpCode(tx: EntityManager, userId: string, row: TotpRow, code: string): Promise<void> {
    const secret = this.openSecret(userId, row);
    const step = secret === null ? null : matchingStep(secret, code);
    if (step === null) throw new InvalidMfaCodeError();
    const claimed = await tx.query<unknown[]>(
      `WITH used AS (
         UPDATE user_totp SET last_used_step = $2
         WHERE user_id = $1 AND (last_used_step IS NULL OR last_used_step < $2) RETURNING user_id)
       SELECT user_id FROM used`,
      [userId, step],
    );
    if (claimed.length === 0) throw new InvalidMfaCodeError();
  }

  /** Marks an unused recovery code used; records `auth.mfa_recovery_used`. */
  async useRecoveryCode(tx: EntityManager, userId: string, code: string): Promise<void> {
    const used = await tx.query<unknown[]>(
      `WITH used AS (
         UPDATE mfa_recovery_codes SET used_at = now()
         WHERE user_id = $1 AND code_hash = $2 AND used_at IS NULL RETURNING id)
       SELECT id FROM used`,
      [userId, recoveryCodeHash(code)],
    );
    if (used.length === 0) throw new InvalidMfaCodeError();
    await recordEvent(tx, {
      type: 'auth.mfa_recovery_used',
      aggregateType: 'user',
      aggregateId: userId,
      actorId: userId,
      data: {},
    });
  }

  /** Ten new recovery codes in place of the old ones; answers them in the clear, once. */
  async replaceRecoveryCodes(tx: EntityManager, userId: string): Promise<string[]> {
    await tx.query(`DELETE FROM mfa_recovery_codes WHERE user_id = $1`, [userId]);
    const codes = newRecoveryCodes();
    for (const code of codes)
      await tx.query(
        `INSERT INTO mfa_recovery_codes (id, user_id, code_hash) VALUES ($1, $2, $3)`,
        [uuidv7(), userId, recoveryCodeHash(code)],
      );
    return codes;
  }
}
