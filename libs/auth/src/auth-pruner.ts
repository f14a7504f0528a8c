import { authConfig } from '@keel/core';
import { runOncePerCluster } from '@keel/database';
import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { DataSource } from 'typeorm';

/**
 * Deletes the single-use rows of the auth tables that can no longer be used: MFA challenges
 * used or expired, mail tokens (verification, reset) used or expired, refresh tokens past
 * their expiry, single sign-ons started and never finished. Every process ticks every `AUTH_PRUNE_INTERVAL_SECONDS`; the cluster prunes
 * once per interval (runOncePerCluster).
 */
@Injectable()
export class AuthPruner implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('Auth');
  private timer?: NodeJS.Timeout;

  constructor(
    private readonly dataSource: DataSource,
    @Inject(authConfig.KEY) private readonly config: ConfigType<typeof authConfig>,
  ) {}

  onApplicationBootstrap(): void {
    const interval = this.config.pruneIntervalSeconds;
    this.timer = setInterval(() => {
      this.prune().catch((error: unknown) =>
        this.logger.warn({ err: error }, 'could not prune expired auth rows'),
      );
    }, interval * 1000).unref();
  }

  onApplicationShutdown(): void {
    clearInterval(this.timer);
  }

  /** Answers whether this process pruned (false when another did within the interval). */
  prune(): Promise<boolean> {
    return runOncePerCluster(
      this.dataSource,
      'auth.prune',
      this.config.pruneIntervalSeconds,
      async (tx) => {
        await tx.query(
          `DELETE FROM mfa_challenges WHERE used_at IS NOT NULL OR expires_at <= now()`,
        );
        await tx.query(`DELETE FROM auth_tokens WHERE used_at IS NOT NULL OR expires_at <= now()`);
        await tx.query(`DELETE FROM refresh_tokens WHERE expires_at <= now()`);
        await tx.query(`DELETE FROM oidc_logins WHERE expires_at <= now()`);
      },
    );
  }
}
