import {
  API_KEY_SCOPE_KEY,
  authConfig,
  consumeRateLimits,
  Metrics,
  RateLimitStore,
  type ApiKeyScope,
  type AuthUser,
} from '@keel/core';
import { UserStatusCache } from '@keel/users';
import { Inject, Injectable, Logger, type ExecutionContext } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { Reflector } from '@nestjs/core';
import { InjectRepository } from '@nestjs/typeorm';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Repository } from 'typeorm';
import { InvalidAccessTokenError } from './auth.errors';
import { ApiKey } from './entities/api-key.entity';
import { apiKeyMatches, lookupPrefixOf } from './api-key-secret';
import { ApiKeyScopeError } from './api-keys.errors';

const LAST_USED_INTERVAL_MS = 60_000;
const MAX_TRACKED_KEYS = 10_000;

/**
 * Authenticates `Authorization: Bearer keel_…` for the global guard. The key's row is read
 * on every request (one lookup by its unique prefix), not cached: a revocation committed on
 * any replica refuses the key on the next request everywhere, with no event to wait for.
 */
@Injectable()
export class ApiKeyAuthenticator {
  private readonly logger = new Logger('Auth');
  /** When this process last recorded each key's use. */
  private readonly lastRecorded = new Map<string, number>();

  constructor(
    @InjectRepository(ApiKey) private readonly keys: Repository<ApiKey>,
    private readonly status: UserStatusCache,
    private readonly reflector: Reflector,
    private readonly store: RateLimitStore,
    private readonly metrics: Metrics,
    @Inject(authConfig.KEY) private readonly config: ConfigType<typeof authConfig>,
  ) {}

  static presented(authorization: string | undefined): string | null {
    const match = /^Bearer (keel_\S*)$/i.exec(authorization ?? '');
    return match ? match[1] : null;
  }

  async authenticate(context: ExecutionContext, presented: string): Promise<AuthUser> {
    const http = context.switchToHttp();
    // A route that takes no key refuses one before any lookup or rate-limit hit.
    const scope = this.reflector.get<ApiKeyScope | undefined>(
      API_KEY_SCOPE_KEY,
      context.getHandler(),
    );
    if (!scope) throw new ApiKeyScopeError();
    const prefix = lookupPrefixOf(presented);
    const key = prefix ? await this.keys.findOneBy({ prefix }) : null;
    if (
      !key ||
      !apiKeyMatches(presented, key.secretHash) ||
      key.revokedAt !== null ||
      (key.expiresAt !== null && key.expiresAt.getTime() <= Date.now())
    )
      throw new InvalidAccessTokenError('The API key is not valid.');
    const owner = await this.status.get(key.userId);
    if (!owner || owner.disabled)
      throw new InvalidAccessTokenError('This account no longer has access.');

    const windowMs = this.config.apiKeyRateLimitWindowSeconds * 1000;
    await consumeRateLimits(
      this.store,
      http.getResponse<FastifyReply>(),
      [{ name: 'api_key', key: `api_key:${key.id}`, limit: this.config.apiKeyRateLimit, windowMs }],
      this.metrics,
    );

    if (!key.scopes.includes(scope)) throw new ApiKeyScopeError();
    this.recordUse(key.id);
    const user: AuthUser = {
      id: owner.id,
      email: owner.email,
      // A key acts within its scopes as a plain user, never with the owner's admin role.
      roles: ['user'],
      apiKey: { id: key.id, scopes: key.scopes },
    };
    http.getRequest<FastifyRequest & { user?: AuthUser }>().user = user;
    return user;
  }

  /** At most once a minute per key and process, and at most once a minute per key overall. */
  private recordUse(id: string): void {
    const now = Date.now();
    const last = this.lastRecorded.get(id);
    if (last !== undefined && now - last < LAST_USED_INTERVAL_MS) return;
    if (this.lastRecorded.size >= MAX_TRACKED_KEYS) this.lastRecorded.clear();
    this.lastRecorded.set(id, now);
    void this.keys
      .createQueryBuilder()
      .update(ApiKey)
      .set({ lastUsedAt: new Date(now) })
      .where('id = :id AND (last_used_at IS NULL OR last_used_at < :before)', {
        id,
        before: new Date(now - LAST_USED_INTERVAL_MS),
      })
      .execute()
      .catch((error: unknown) => {
        this.logger.warn({ err: error, apiKeyId: id }, 'could not record an API key’s use');
      });
  }
}
