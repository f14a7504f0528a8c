import { authConfig, Metrics } from '@keel/core';
import { UsersService } from '@keel/users';
import { Outbox, recordEvent } from '@keel/events';
import { Inject } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { DataSource } from 'typeorm';
import {
  AccountDisabledError,
  EmailNotVerifiedError,
  InvalidCredentialsError,
} from '../../auth.errors';
import type { TokenResponseDto } from '../../dto/auth.dto';
import type { MfaChallengeDto } from '../../mfa/mfa.dto';
import { MfaService } from '../../mfa/mfa.service';
import { PasswordHasher } from '../../password-hasher';
import { TokensService } from '../../tokens.service';
import { LoginCommand } from './login.command';

@CommandHandler(LoginCommand)
export class LoginHandler implements ICommandHandler<LoginCommand> {
  constructor(
    private readonly dataSource: DataSource,
    private readonly outbox: Outbox,
    private readonly users: UsersService,
    private readonly hasher: PasswordHasher,
    private readonly tokens: TokensService,
    private readonly metrics: Metrics,
    private readonly mfa: MfaService,
    @Inject(authConfig.KEY) private readonly cfg: ConfigType<typeof authConfig>,
  ) {}

  async execute({
    credentials,
    client,
  }: LoginCommand): Promise<TokenResponseDto | MfaChallengeDto> {
    const user = await this.users.findWithPassword({ email: credentials.email });
    // Unknown email and wrong password take the same time and give the same answer.
    const valid = await this.hasher.verify(user?.passwordHash, credentials.password);
    if (!user || !valid || user.disabled) {
      // A security event for the audit log; the answer does not say which check failed.
      await this.outbox.transaction((tx) =>
        recordEvent(tx, {
          type: 'auth.login_failed',
          aggregateType: 'user',
          aggregateId: user?.id ?? credentials.email.trim().toLowerCase().slice(0, 100),
          actorId: null,
          data: { reason: !user ? 'unknown_email' : !valid ? 'wrong_password' : 'disabled' },
        }),
      );
      const disabled = user !== null && valid;
      this.metrics.logins.inc({ outcome: disabled ? 'disabled' : 'invalid_credentials' });
      throw disabled ? new AccountDisabledError() : new InvalidCredentialsError();
    }
    // Only after the password matched, so the answer says nothing about unknown accounts.
    if (this.cfg.requireVerifiedEmail && !user.emailVerifiedAt) throw new EmailNotVerifiedError();
    // With TOTP on, the password only earns a challenge; /v1/auth/mfa/verify gives the tokens.
    if (await this.mfa.isEnabled(user.id)) return this.mfa.challenge(user.id);
    const tokens = await this.dataSource.transaction((tx) =>
      this.tokens.issue(tx, user.id, client),
    );
    this.metrics.logins.inc({ outcome: 'success' });
    return tokens;
  }
}
