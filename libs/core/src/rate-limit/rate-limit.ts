import type { FastifyReply } from 'fastify';
import { DomainError } from '../errors/domain-error';
import type { Metrics } from '../metrics/metrics';
import type { RateLimitStore } from './rate-limit.store';

export interface RateLimitRule {
  /** The rule's name, the `rule` label of `keel_rate_limit_rejections_total` (never the key). */
  name: string;
  key: string;
  limit: number;
  windowMs: number;
}

export class RateLimitedError extends DomainError {
  constructor(retryAfterSeconds: number) {
    super(
      'rate_limited',
      'REQUEST.RATE_LIMITED',
      'Too many requests. Try again later.',
      undefined,
      {
        'retry-after': String(retryAfterSeconds),
      },
    );
  }
}

/**
 * Counts one hit against each rule, sets the `RateLimit-*` headers of the tightest one,
 * and throws RateLimitedError when any rule is exceeded. A store that cannot answer
 * lets the request through (fail open): an outage must not lock everyone out.
 */
export async function consumeRateLimits(
  store: RateLimitStore,
  reply: FastifyReply,
  rules: RateLimitRule[],
  metrics: Metrics,
): Promise<void> {
  const hits = await Promise.all(rules.map((rule) => store.hit(rule.key, rule.windowMs)));
  const counted = rules.flatMap((rule, i) => {
    const hit = hits[i];
    return hit
      ? [{ name: rule.name, limit: rule.limit, count: hit.count, resetMs: hit.resetMs }]
      : [];
  });
  if (counted.length === 0) return;
  const exceeded = counted.filter((c) => c.count > c.limit);
  const shown =
    exceeded.length > 0
      ? exceeded.reduce((a, b) => (b.resetMs > a.resetMs ? b : a))
      : counted.reduce((a, b) => (b.limit - b.count < a.limit - a.count ? b : a));
  const resetSeconds = Math.max(1, Math.ceil(shown.resetMs / 1000));
  void reply.header('ratelimit-limit', shown.limit);
  void reply.header('ratelimit-remaining', Math.max(0, shown.limit - shown.count));
  void reply.header('ratelimit-reset', resetSeconds);
  if (exceeded.length === 0) return;
  for (const { name } of exceeded) metrics.rateLimitRejections.inc({ rule: name });
  throw new RateLimitedError(resetSeconds);
}
