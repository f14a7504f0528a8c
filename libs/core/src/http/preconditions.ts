import {
  Injectable,
  createParamDecorator,
  type CallHandler,
  type ExecutionContext,
  type NestInterceptor,
} from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { map, type Observable } from 'rxjs';
import { DomainError } from '../errors/domain-error';

/**
 * HTTP conditional requests for versioned resources: the ETag of a response with a
 * numeric `version` is `"<version>"`.
 */
export function entityTag(version: number): string {
  return `"${version}"`;
}

/** What an `If-Match` header allows: any current version (`*`), some versions, or anything (absent). */
export type VersionPrecondition = '*' | number[] | undefined;

export class PreconditionFailedError extends DomainError {
  constructor() {
    super(
      'precondition_failed',
      'REQUEST.PRECONDITION_FAILED',
      'The resource has changed since it was read (If-Match does not match its ETag). Read it again and retry.',
    );
  }
}

/** Parses `If-Match`. Weak tags never match (RFC 9110 uses strong comparison here). */
export function parseIfMatch(header: string | string[] | undefined): VersionPrecondition {
  if (header === undefined) return undefined;
  const value = Array.isArray(header) ? header.join(',') : header;
  if (value.trim() === '*') return '*';
  return value
    .split(',')
    .map((tag) => /^"(\d{1,9})"$/.exec(tag.trim()))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => Number(m[1]));
}

/** Throws 412 unless `current` satisfies the precondition. */
export function assertVersion(precondition: VersionPrecondition, current: number): void {
  if (precondition === undefined || precondition === '*') return;
  if (!precondition.includes(current)) throw new PreconditionFailedError();
}

/** The request's `If-Match`, parsed. */
export const IfMatch = createParamDecorator(
  (_data: unknown, context: ExecutionContext): VersionPrecondition =>
    parseIfMatch(context.switchToHttp().getRequest<FastifyRequest>().headers['if-match']),
);

/** The ETag of a response body with a numeric `version`, or undefined. */
export function entityTagOf(body: unknown): string | undefined {
  if (typeof body !== 'object' || body === null || !('version' in body)) return undefined;
  return typeof body.version === 'number' ? entityTag(body.version) : undefined;
}

function noneMatch(header: string | undefined, etag: string): boolean {
  if (!header) return false;
  if (header.trim() === '*') return true;
  return header.split(',').some((tag) => tag.trim().replace(/^W\//, '') === etag);
}

/**
 * Sets `ETag` on responses whose body has a numeric `version`, and answers a GET whose
 * `If-None-Match` holds that tag with an empty 304. A body the response cache already
 * serialized (a string) comes with its `ETag` header set.
 */
@Injectable()
export class EntityTagInterceptor implements NestInterceptor {
  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const request = context.switchToHttp().getRequest<FastifyRequest>();
    const reply = context.switchToHttp().getResponse<FastifyReply>();
    return next.handle().pipe(
      map((body: unknown) => {
        const etag =
          typeof body === 'string'
            ? (reply.getHeader('etag') as string | undefined)
            : entityTagOf(body);
        if (etag === undefined) return body;
        void reply.header('etag', etag);
        if (request.method === 'GET' && noneMatch(request.headers['if-none-match'], etag)) {
          return new Response(null, { status: 304, headers: { etag } });
        }
        return body;
      }),
    );
  }
}
