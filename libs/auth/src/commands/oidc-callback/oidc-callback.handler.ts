import { Metrics, uuidv7 } from '@keel/core';
import { Outbox, recordEvent } from '@keel/events';
import { User, UsersService } from '@keel/users';
import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { randomBytes } from 'node:crypto';
import { DataSource } from 'typeorm';
import {
  AccountDisabledError,
  InvalidSsoStateError,
  SsoAccountExistsError,
  SsoEmailUnverifiedError,
  SsoFailedError,
} from '../../auth.errors';
import type { TokenResponseDto } from '../../dto/auth.dto';
import type { MfaChallengeDto } from '../../mfa/mfa.dto';
import { MfaService } from '../../mfa/mfa.service';
import { sha256 } from '../../mfa/totp';
import { OidcClient, type OidcIdentity, type PendingOidcLogin } from '../../oidc/oidc-client';
import { PasswordHasher } from '../../password-hasher';
import { TokensService } from '../../tokens.service';
import { OidcCallbackCommand } from './oidc-callback.command';

interface PendingRow {
  nonce: string;
  code_verifier: string;
  expires_at: Date;
}

@CommandHandler(OidcCallbackCommand)
export class OidcCallbackHandler implements ICommandHandler<OidcCallbackCommand> {
  constructor(
    private readonly dataSource: DataSource,
    private readonly outbox: Outbox,
    private readonly users: UsersService,
    private readonly hasher: PasswordHasher,
    private readonly tokens: TokensService,
    private readonly mfa: MfaService,
    private readonly metrics: Metrics,
    private readonly oidc: OidcClient,
  ) {}

  async execute({
    query,
    browserState,
    client,
  }: OidcCallbackCommand): Promise<TokenResponseDto | MfaChallengeDto> {
    this.oidc.assertEnabled();
    const pending = await this.consume(new URLSearchParams(query).get('state'), browserState);
    let identity: OidcIdentity;
    try {
      identity = await this.oidc.finish(query, pending);
    } catch (error) {
      if (error instanceof SsoFailedError) await this.refused(null, 'invalid_response');
      throw error;
    }
    const user = await this.userFor(identity);
    if (user.disabled) {
      await this.refused(user.id, 'disabled');
      throw new AccountDisabledError();
    }
    // The provider's sign-in stands for the password: with TOTP on, the same challenge follows.
    if (await this.mfa.isEnabled(user.id)) return this.mfa.challenge(user.id);
    const tokens = await this.dataSource.transaction((tx) =>
      this.tokens.issue(tx, user.id, client),
    );
    this.metrics.logins.inc({ outcome: 'success' });
    return tokens;
  }

  /**
   * The sign-in started by this browser, used up: a state that is unknown, expired, already
   * used, or not the one in this browser's cookie (a sign-in started elsewhere) is refused.
   */
  private async consume(
    state: string | null,
    browserState: string | undefined,
  ): Promise<PendingOidcLogin> {
    if (!state || state !== browserState) throw new InvalidSsoStateError();
    const [row] = await this.dataSource.query<PendingRow[]>(
      `WITH used AS (DELETE FROM oidc_logins WHERE state_hash = $1 RETURNING *)
       SELECT nonce, code_verifier, expires_at FROM used`,
      [sha256(state)],
    );
    if (!row || row.expires_at.getTime() <= Date.now()) throw new InvalidSsoStateError();
    return { state, nonce: row.nonce, codeVerifier: row.code_verifier };
  }

  /**
   * The user this identity is linked to. A first sign-in links it to the account with the
   * same email, or creates one, but only when the provider vouches for the address: an
   * unverified address would hand someone else's account to whoever typed it in.
   */
  private async userFor(identity: OidcIdentity): Promise<User> {
    const [link] = await this.dataSource.query<Array<{ user_id: string }>>(
      `SELECT user_id FROM user_identities WHERE issuer = $1 AND subject = $2`,
      [identity.issuer, identity.subject],
    );
    const linked = link && (await this.dataSource.manager.findOneBy(User, { id: link.user_id }));
    if (linked) return linked;

    const existing = identity.email
      ? await this.users.findWithPassword({ email: identity.email })
      : null;
    if (!identity.email || !identity.emailVerified) {
      await this.refused(existing?.id ?? null, 'email_unverified');
      throw existing ? new SsoAccountExistsError() : new SsoEmailUnverifiedError();
    }
    const email = identity.email;
    // No usable password: a hash of a secret nobody knows (a reset mail can set a real one).
    const passwordHash = existing ? null : await this.hasher.hash(randomBytes(32).toString('hex'));
    return this.outbox.transaction(async (tx) => {
      let user: User;
      if (existing) {
        user = existing;
        await this.users.markEmailVerified(user.id, tx);
      } else {
        const displayName = identity.name?.trim().slice(0, 100) || email.split('@')[0];
        user = await this.users.create(
          { email, displayName, passwordHash: passwordHash!, emailVerifiedAt: new Date() },
          tx,
        );
        await recordEvent(tx, {
          type: 'user.registered',
          aggregateType: 'user',
          aggregateId: user.id,
          actorId: user.id,
          data: { email: user.email, displayName: user.displayName, method: 'oidc' },
        });
      }
      await tx.query(
        `INSERT INTO user_identities (id, user_id, issuer, subject) VALUES ($1, $2, $3, $4)`,
        [uuidv7(), user.id, identity.issuer, identity.subject],
      );
      await recordEvent(tx, {
        type: 'auth.sso_linked',
        aggregateType: 'user',
        aggregateId: user.id,
        actorId: user.id,
        data: { issuer: identity.issuer, subject: identity.subject, newAccount: !existing },
      });
      return user;
    });
  }

  /** A refused single sign-on, for the audit log and the login counter. */
  private async refused(
    userId: string | null,
    reason: 'invalid_response' | 'email_unverified' | 'disabled',
  ): Promise<void> {
    await this.outbox.transaction((tx) =>
      recordEvent(tx, {
        type: 'auth.login_failed',
        aggregateType: 'user',
        aggregateId: userId ?? 'oidc',
        actorId: null,
        data: { method: 'oidc', reason },
      }),
    );
    this.metrics.logins.inc({ outcome: reason === 'disabled' ? 'disabled' : `sso_${reason}` });
  }
}
