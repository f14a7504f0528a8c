import {
  Injectable,
  SetMetadata,
  UseInterceptors,
  applyDecorators,
  type CallHandler,
  type ExecutionContext,
  type NestInterceptor,
} from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { createHash } from 'node:crypto';
import { from, lastValueFrom, map, type Observable } from 'rxjs';
import { ApiResponseHeader } from '../http/api-problems.decorator';
import { entityTagOf } from '../http/preconditions';
import { ResponseCache } from './response-cache';

type TagOf = (params: Record<string, string>) => string;
const CACHE_TAG = Symbol('keel:cache-tag');

/**
 * Serves a GET route through the response cache. The key is the path and the sorted query;
 * `tag` names what a write must invalidate to drop the entry. Only for responses that are
 * the same for every caller.
 */
export function CachedResponse(tag: TagOf): MethodDecorator {
  return applyDecorators(
    SetMetadata(CACHE_TAG, tag),
    UseInterceptors(ResponseCacheInterceptor),
    ApiResponseHeader('X-Cache', 'HIT when served from the cache, MISS otherwise.', [200]),
  );
}

@Injectable()
export class ResponseCacheInterceptor implements NestInterceptor {
  constructor(
    private readonly reflector: Reflector,
    private readonly cache: ResponseCache,
  ) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const tagOf = this.reflector.get<TagOf | undefined>(CACHE_TAG, context.getHandler());
    const request = context.switchToHttp().getRequest<FastifyRequest>();
    if (!tagOf || request.method !== 'GET') return next.handle();
    const reply = context.switchToHttp().getResponse<FastifyReply>();
    const tag = tagOf(request.params as Record<string, string>);
    // Errors (404, 400) are not cached: they reach the client through the rejection.
    return from(
      this.cache.getOrLoad(cacheKey(request.url), tag, async () =>
        serialize(await lastValueFrom(next.handle() as Observable<unknown>)),
      ),
    ).pipe(
      map(({ value, hit }) => {
        // An entry stored by an older release may still hold the body itself.
        const response = isSerialized(value) ? value : serialize(value);
        void reply
          .header('x-cache', hit ? 'HIT' : 'MISS')
          .header('content-type', 'application/json; charset=utf-8');
        if (response.etag !== undefined) void reply.header('etag', response.etag);
        return response.json;
      }),
    );
  }
}

/**
 * What the cache holds: the body as sent and its ETag, so a hit neither serializes nor
 * inspects the body again.
 */
interface SerializedResponse {
  json: string;
  etag?: string;
}

function serialize(body: unknown): SerializedResponse {
  return { json: JSON.stringify(body), etag: entityTagOf(body) };
}

function isSerialized(value: unknown): value is SerializedResponse {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as { json?: unknown }).json === 'string'
  );
}

/** The path and the query with its parameters sorted; long keys are hashed. */
export function cacheKey(url: string): string {
  const mark = url.indexOf('?');
  const path = mark < 0 ? url : url.slice(0, mark);
  let query = '';
  if (mark >= 0) {
    const params = new URLSearchParams(url.slice(mark + 1));
    params.sort();
    query = params.toString();
  }
  const key = `${path}?${query}`;
  return key.length <= 200
    ? key
    : `${path}#${createHash('sha256').update(key).digest('base64url')}`;
}
