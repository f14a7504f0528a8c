import {
  authConfig,
  consumeRateLimits,
  Metrics,
  RateLimitStore,
  type RateLimitRule,
} from '@keel/core';
import { CanActivate, ExecutionContext, Inject, Injectable } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { createHash } from 'node:crypto';

/**
 * Limits credential endpoints per client address and per account (the email, or the
 * refresh token's id), so neither one address nor a botnet can guess one password fast.
 */
@Injectable()
export class AuthRateLimitGuard implements CanActivate {
  constructor(
    private readonly store: RateLimitStore,
    @Inject(authConfig.KEY) private readonly config: ConfigType<typeof authConfig>,
    private readonly metrics: Metrics,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const http = context.switchToHttp();
    const request = http.getRequest<FastifyRequest>();
    const windowMs = this.config.rateLimitWindowSeconds * 1000;
    const rules: RateLimitRule[] = [
      {
        name: 'auth_per_address',
        key: `auth:ip:${request.ip}`,
        limit: this.config.rateLimitPerIp,
        windowMs,
      },
    ];
    const account = accountOf(request.body, (request as { user?: { id?: unknown } }).user?.id);
    if (account)
      rules.push({
        name: 'auth_per_account',
        key: `auth:account:${account}`,
        limit: this.config.rateLimitPerAccount,
        windowMs,
      });
    await consumeRateLimits(this.store, http.getResponse<FastifyReply>(), rules, this.metrics);
    return true;
  }
}

/** The account a request is about: the body's email or refresh token, else the signed-in user. */
function accountOf(body: unknown, userId: unknown): string | undefined {
  const { email, refreshToken } = (typeof body === 'object' && body !== null ? body : {}) as {
    email?: unknown;
    refreshToken?: unknown;
  };
  const subject =
    typeof email === 'string'
      ? email.trim().toLowerCase()
      : typeof refreshToken === 'string'
        ? refreshToken.split('.')[0]
        : typeof userId === 'string'
          ? `user:${userId}`
          : undefined;
  // Hashed so raw emails never become cache keys.
  return subject
    ? createHash('sha256').update(subject).digest('base64url').slice(0, 22)
    : undefined;
}
