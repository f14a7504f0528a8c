import { authConfig } from '@keel/core';
import { EmailTakenError, mapUser, User, UsersService, type UserResponseDto } from '@keel/users';
import { Inject, Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { EventBus } from '@nestjs/cqrs';
import { DataSource } from 'typeorm';
import {
  AccountDisabledError,
  InvalidCredentialsError,
  InvalidRefreshTokenError,
  RefreshTokenReusedError,
} from './auth.errors';
import type { ChangePasswordDto, LoginDto, RegisterDto, TokenResponseDto } from './dto/auth.dto';
import { RefreshToken } from './entities/refresh-token.entity';
import { UserRegisteredEvent } from './events/user-registered.event';
import { PasswordHasher } from './password-hasher';
import { TokensService } from './tokens.service';

@Injectable()
export class AuthService implements OnApplicationBootstrap {
  private readonly logger = new Logger('Auth');

  constructor(
    private readonly dataSource: DataSource,
    private readonly users: UsersService,
    private readonly hasher: PasswordHasher,
    private readonly tokens: TokensService,
    private readonly eventBus: EventBus,
    @Inject(authConfig.KEY) private readonly config: ConfigType<typeof authConfig>,
  ) {}

  /** Creates the bootstrap admin from ADMIN_EMAIL / ADMIN_PASSWORD once, on first start. */
  async onApplicationBootstrap(): Promise<void> {
    if (this.config.jwtSecretGenerated) {
      this.logger.warn(
        'JWT_SECRET is not set: using a generated secret kept in DATA_DIR/jwt-secret. Set JWT_SECRET for production.',
      );
    }
    const { adminEmail, adminPassword } = this.config;
    if (!adminEmail || !adminPassword) return;
    if (await this.users.findWithPassword({ email: adminEmail })) return;
    try {
      const passwordHash = await this.hasher.hash(adminPassword);
      await this.users.create({
        email: adminEmail,
        displayName: 'Administrator',
        passwordHash,
        roles: ['user', 'admin'],
      });
      this.logger.log(`created the bootstrap admin ${adminEmail}`);
    } catch (error) {
      // Another replica created it at the same moment.
      if (!(error instanceof EmailTakenError)) throw error;
    }
  }

  async register(dto: RegisterDto): Promise<UserResponseDto> {
    const passwordHash = await this.hasher.hash(dto.password);
    const user = await this.users.create({
      email: dto.email,
      displayName: dto.displayName,
      passwordHash,
    });
    this.eventBus.publish(new UserRegisteredEvent(user.id, user.email));
    return mapUser(user);
  }

  async login(dto: LoginDto): Promise<TokenResponseDto> {
    const user = await this.users.findWithPassword({ email: dto.email });
    // Unknown email and wrong password take the same time and give the same answer.
    const valid = await this.hasher.verify(user?.passwordHash, dto.password);
    if (!user || !valid) throw new InvalidCredentialsError();
    if (user.disabled) throw new AccountDisabledError();
    return this.tokens.issue(this.dataSource.manager, user.id);
  }

  /** Rotates a refresh token. Presenting an already-used one revokes its whole family. */
  async refresh(refreshToken: string): Promise<TokenResponseDto> {
    const parsed = this.tokens.parseRefreshToken(refreshToken);
    if (!parsed) throw new InvalidRefreshTokenError();
    const outcome = await this.dataSource.transaction(async (tx) => {
      const row = await tx.findOne(RefreshToken, {
        where: { id: parsed.id },
        lock: { mode: 'pessimistic_write' },
      });
      if (!row || !this.tokens.secretMatches(row, parsed.secret)) return 'invalid' as const;
      if (row.usedAt !== null && row.revokedAt === null) {
        await this.tokens.revokeFamily(tx, row.familyId);
        return { reused: row } as const;
      }
      if (row.revokedAt !== null || row.expiresAt.getTime() <= Date.now())
        return 'invalid' as const;
      const user = await tx.findOneBy(User, { id: row.userId });
      if (!user || user.disabled) return 'invalid' as const;
      await tx.update(RefreshToken, { id: row.id }, { usedAt: new Date() });
      return this.tokens.issue(tx, row.userId, row.familyId);
    });
    if (outcome === 'invalid') throw new InvalidRefreshTokenError();
    if ('reused' in outcome) {
      this.logger.warn(
        { userId: outcome.reused.userId, familyId: outcome.reused.familyId },
        'refresh token reused; family revoked',
      );
      throw new RefreshTokenReusedError();
    }
    return outcome;
  }

  /** Ends the session the refresh token belongs to. Unknown tokens are ignored. */
  async logout(refreshToken: string): Promise<void> {
    const parsed = this.tokens.parseRefreshToken(refreshToken);
    if (!parsed) return;
    await this.dataSource.transaction(async (tx) => {
      const row = await tx.findOneBy(RefreshToken, { id: parsed.id });
      if (row && this.tokens.secretMatches(row, parsed.secret))
        await this.tokens.revokeFamily(tx, row.familyId);
    });
  }

  /** Changes the password and ends every session of the user. */
  async changePassword(userId: string, dto: ChangePasswordDto): Promise<void> {
    const user = await this.users.findWithPassword({ id: userId });
    if (!user || !(await this.hasher.verify(user.passwordHash, dto.currentPassword))) {
      throw new InvalidCredentialsError();
    }
    const passwordHash = await this.hasher.hash(dto.newPassword);
    await this.dataSource.transaction(async (tx) => {
      await this.users.setPasswordHash(userId, passwordHash, tx);
      await this.tokens.revokeAllForUser(tx, userId);
    });
  }
}
