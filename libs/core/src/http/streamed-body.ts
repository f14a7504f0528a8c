import { RouteConfig } from '@nestjs/platform-fastify';
import type { FastifyRequest } from 'fastify';
import { DomainError } from '../errors/domain-error';

/** Body types an upload route may receive as a stream. */
export const STREAMED_BODY_TYPES = ['text/csv', 'application/x-ndjson'];

/** Marks a route that reads `request.raw` itself: its body is left unparsed and unbuffered. */
export const StreamedBody = (): MethodDecorator => RouteConfig({ streamedBody: true });

export class UnsupportedMediaTypeError extends DomainError {
  constructor(accepted: readonly string[]) {
    super(
      'unsupported_media_type',
      'REQUEST.UNSUPPORTED_MEDIA_TYPE',
      `Send the body as ${accepted.join(' or ')}.`,
    );
  }
}

/** The request's media type, lower case, without parameters; undefined without a Content-Type. */
export function mediaTypeOf(request: FastifyRequest): string | undefined {
  return request.headers['content-type']?.split(';')[0]?.trim().toLowerCase() || undefined;
}
