import { authConfig } from '@keel/core';
import { EmailTakenError, UsersService } from '@keel/users';
import { Inject, Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { PasswordHasher } from './password-hasher';

/**
 * Start-up duties of auth: the bootstrap admin and the warning about a generated secret.
 * Requests go through the command bus (commands/).
 */
@Injectable()
export class AuthBootstrap implements OnApplicationBootstrap {
  private readonly logger = new Logger('Auth');

  constructor(
    private readonly users: UsersService,
    private readonly hasher: PasswordHasher,
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
        // The operator chose this address: REQUIRE_VERIFIED_EMAIL must not lock the admin out.
        emailVerifiedAt: new Date(),
      });
      this.logger.log(`created the bootstrap admin ${adminEmail}`);
    } catch (error) {
      // Another replica created it at the same moment.
      if (!(error instanceof EmailTakenError)) throw error;
    }
  }
}
