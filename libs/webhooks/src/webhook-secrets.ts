import { authConfig, TokenSeal } from '@keel/core';
import { Inject, Injectable } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
// TokenSeal is not on @keel/auth's entry point (yet): imported from its file, here only.
import type { Webhook } from './entities/webhook.entity';

/**
 * Signing secrets at rest: sealed with the app's key ring (`ENCRYPTION_KEYS`, then
 * `JWT_SECRET`) under a purpose of their own, so a database dump alone cannot forge deliveries.
 */
@Injectable()
export class WebhookSecrets {
  private readonly seal: TokenSeal;

  constructor(@Inject(authConfig.KEY) auth: ConfigType<typeof authConfig>) {
    this.seal = new TokenSeal(auth.sealingSecrets, 'webhook secret seal');
  }

  sealSecret(secret: string): string {
    return this.seal.seal(secret);
  }

  /** The secrets that sign now: the current one, and the previous one until its overlap ends. */
  signingSecrets(webhook: Webhook, now = new Date()): string[] {
    const secrets = [this.seal.open(webhook.secret)];
    if (
      webhook.previousSecret &&
      webhook.previousSecretExpiresAt &&
      webhook.previousSecretExpiresAt > now
    ) {
      secrets.push(this.seal.open(webhook.previousSecret));
    }
    return secrets;
  }
}
