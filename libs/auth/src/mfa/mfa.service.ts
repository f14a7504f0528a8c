import { authConfig, consumeRateLimits, Metrics, RateLimitStore, uuidv7 } from '@keel/core';
import { Outbox, recordEvent } from '@keel/events';
import { UsersService } from '@keel/users';
import { Inject, Injectable, Logger } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import type { FastifyReply } from 'fastify';
import { randomBytes } from 'node:crypto';
import { toString as qrToString } from 'qrcode';
import { DataSource, type EntityManager } from 'typeorm';
import {
  InvalidCredentialsError,
  InvalidMfaChallengeError,
  InvalidMfaCodeError,
  MfaStateError,
} from '../auth.errors';
import type { TokenResponseDto } from '../dto/auth.dto';
import { TokenSeal } from '../mail/sealed-token';
import { PasswordHasher } from '../password-hasher';
import { TokensService, type ClientInfo } from '../tokens.service';
import type {
  DisableTotpDto,
  MfaChallengeDto,
  RecoveryCodesDto,
  TotpEnrolmentDto,
  VerifyMfaDto,
} from './mfa.dto';
import {
  matchingStep,
  newRecoveryCodes,
  newTotpSecret,
  recoveryCodeHash,
  sha256,
  totpFor,
} from './totp';

export const MFA_CHALLENGE_TTL_SECONDS = 300;
/** Code attempts per account and rate-limit window (AUTH_RATE_LIMIT_WINDOW_SECONDS). */
export const MFA_CODE_ATTEMPTS = 5;

interface TotpRow {
  secret_sealed: string;
  enabled_at: Date | null;
}

/**
 * TOTP (RFC 6238) second factor: enrolment, the login challenge and its verification,
 * recovery codes. The secret is stored sealed (AES-256-GCM, key derived from the server
 * secret) and only ever shown in the enrolment answer.
 */
@Injectable()
export class MfaService {
  private readonly seal: TokenSeal;
  private readonly logger = new Logger('Auth');

  constructor(
    private readonly dataSource: DataSource,
    private readonly outbox: Outbox,
    private readonly users: UsersService,
    private readonly hasher: PasswordHasher,
    private readonly tokens: TokensService,
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

  /** A new pending secret (replacing any earlier pending one); refused while TOTP is on. */
  async enrol(userId: string, email: string): Promise<TotpEnrolmentDto> {
    if (await this.isEnabled(userId)) throw new MfaStateError('Two-factor authentication is on.');
    const secret = newTotpSecret();
    await this.dataSource.query(
      `INSERT INTO user_totp (user_id, secret_sealed) VALUES ($1, $2)
       ON CONFLICT (user_id) DO UPDATE SET secret_sealed = $2, enabled_at = NULL, last_used_step = NULL
       WHERE user_totp.enabled_at IS NULL`,
      [userId, this.seal.seal(secret)],
    );
    const otpauthUri = totpFor(secret, email).toString();
    return { otpauthUri, qrSvg: await qrToString(otpauthUri, { type: 'svg' }) };
  }

  /** Turns the pending secret on with a first valid code; answers the recovery codes. */
  async confirm(userId: string, code: string, reply: FastifyReply): Promise<RecoveryCodesDto> {
    await this.limit(userId, reply);
    return this.outbox.transaction(async (tx) => {
      const row = await this.totpRow(tx, userId);
      if (!row || row.enabled_at) throw new MfaStateError('Start the enrolment first.');
      await this.useTotpCode(tx, userId, row, code);
      await tx.query(`UPDATE user_totp SET enabled_at = now() WHERE user_id = $1`, [userId]);
      const recoveryCodes = await this.replaceRecoveryCodes(tx, userId);
      await recordEvent(tx, {
        type: 'auth.mfa_enabled',
        aggregateType: 'user',
        aggregateId: userId,
        actorId: userId,
        data: { method: 'totp' },
      });
      return { recoveryCodes };
    });
  }

  /** New recovery codes (the old ones stop working); needs a current code. */
  async regenerateRecoveryCodes(
    userId: string,
    code: string,
    reply: FastifyReply,
  ): Promise<RecoveryCodesDto> {
    await this.limit(userId, reply);
    return this.outbox.transaction(async (tx) => {
      const row = await this.enabledRow(tx, userId);
      await this.useTotpCode(tx, userId, row, code);
      return { recoveryCodes: await this.replaceRecoveryCodes(tx, userId) };
    });
  }

  /** Turns TOTP off; needs the password and a current code. */
  async disable(userId: string, dto: DisableTotpDto, reply: FastifyReply): Promise<void> {
    await this.limit(userId, reply);
    const user = await this.users.findWithPassword({ id: userId });
    if (!user || !(await this.hasher.verify(user.passwordHash, dto.password)))
      throw new InvalidCredentialsError();
    await this.outbox.transaction(async (tx) => {
      const row = await this.enabledRow(tx, userId);
      await this.useTotpCode(tx, userId, row, dto.code);
      await tx.query(`DELETE FROM mfa_recovery_codes WHERE user_id = $1`, [userId]);
      await tx.query(`DELETE FROM mfa_challenges WHERE user_id = $1`, [userId]);
      await tx.query(`DELETE FROM user_totp WHERE user_id = $1`, [userId]);
      await recordEvent(tx, {
        type: 'auth.mfa_disabled',
        aggregateType: 'user',
        aggregateId: userId,
        actorId: userId,
        data: { method: 'totp' },
      });
    });
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

  /** The challenge and a code (or a recovery code) for the tokens of a new session. */
  async verify(
    dto: VerifyMfaDto,
    client: ClientInfo,
    reply: FastifyReply,
  ): Promise<TokenResponseDto> {
    const [pending] = await this.dataSource.query<Array<{ user_id: string }>>(
      `SELECT user_id FROM mfa_challenges
       WHERE token_hash = $1 AND used_at IS NULL AND expires_at > now()`,
      [sha256(dto.challenge)],
    );
    if (!pending) throw new InvalidMfaChallengeError();
    const userId = pending.user_id;
    await this.limit(userId, reply);
    return this.outbox.transaction(async (tx) => {
      const row = await this.enabledRow(tx, userId);
      if (/^\d{6}$/.test(dto.code)) await this.useTotpCode(tx, userId, row, dto.code);
      else await this.useRecoveryCode(tx, userId, dto.code);
      // Single use: whoever marks it first wins; a second attempt with it is refused.
      const consumed = await tx.query<unknown[]>(
        `WITH used AS (
           UPDATE mfa_challenges SET used_at = now()
           WHERE token_hash = $1 AND used_at IS NULL AND expires_at > now() RETURNING id)
         SELECT id FROM used`,
        [sha256(dto.challenge)],
      );
      if (consumed.length === 0) throw new InvalidMfaChallengeError();
      this.metrics.logins.inc({ outcome: 'success' });
      return this.tokens.issue(tx, userId, client);
    });
  }

  private async limit(userId: string, reply: FastifyReply): Promise<void> {
    await consumeRateLimits(
      this.store,
      reply,
      [
        {
          name: 'mfa_code',
          key: `auth:mfa:${userId}`,
          limit: MFA_CODE_ATTEMPTS,
          windowMs: this.cfg.rateLimitWindowSeconds * 1000,
        },
      ],
      this.metrics,
    );
  }

  private async totpRow(manager: EntityManager, userId: string): Promise<TotpRow | null> {
    const [row] = await manager.query<TotpRow[]>(
      `SELECT secret_sealed, enabled_at FROM user_totp WHERE user_id = $1`,
      [userId],
    );
    return row ?? null;
  }

  private async enabledRow(manager: EntityManager, userId: string): Promise<TotpRow> {
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
  private async useTotpCode(
    tx: EntityManager,
    userId: string,
    row: TotpRow,
    code: string,
  ): Promise<void> {
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

  private async useRecoveryCode(tx: EntityManager, userId: string, code: string): Promise<void> {
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

  private async replaceRecoveryCodes(tx: EntityManager, userId: string): Promise<string[]> {
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
