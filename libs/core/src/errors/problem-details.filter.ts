import {
  ArgumentsHost,
  Catch,
  ExceptionFilter,
  HttpException,
  HttpStatus,
  Logger,
} from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { STATUS_CODES } from 'node:http';
import type { RouteTable } from '../http/route-table';
import { DomainError, type ErrorKind, type FieldError } from './domain-error';
import { PROBLEM_CONTENT_TYPE, problemType, type ProblemDto } from './problem';
import { isDatabaseUnavailable } from './database-unavailable';

export interface Mapped {
  status: number;
  detail: string;
  code?: string;
  errors?: FieldError[];
  headers?: Record<string, string>;
}

const GENERIC_500 = 'An unexpected error occurred. Quote the request id when reporting it.';

export function statusOfKind(kind: ErrorKind): number {
  switch (kind) {
    case 'validation':
      return HttpStatus.BAD_REQUEST;
    case 'unauthorized':
      return HttpStatus.UNAUTHORIZED;
    case 'forbidden':
      return HttpStatus.FORBIDDEN;
    case 'not_found':
      return HttpStatus.NOT_FOUND;
    case 'conflict':
      return HttpStatus.CONFLICT;
    case 'precondition_failed':
      return HttpStatus.PRECONDITION_FAILED;
    case 'unprocessable':
      return HttpStatus.UNPROCESSABLE_ENTITY;
    case 'too_large':
      return HttpStatus.PAYLOAD_TOO_LARGE;
    case 'unsupported_media_type':
      return HttpStatus.UNSUPPORTED_MEDIA_TYPE;
    case 'rate_limited':
      return HttpStatus.TOO_MANY_REQUESTS;
    case 'unavailable':
      return HttpStatus.SERVICE_UNAVAILABLE;
  }
}

export function mapError(error: unknown): Mapped {
  if (error instanceof DomainError) {
    return {
      status: statusOfKind(error.kind),
      detail: error.message,
      code: error.code,
      errors: error.errors,
      headers: error.headers,
    };
  }
  if (error instanceof HttpException) {
    const status = error.getStatus();
    return { status, detail: status >= 500 ? GENERIC_500 : httpExceptionDetail(error) };
  }
  if (isDatabaseUnavailable(error)) {
    return {
      status: HttpStatus.SERVICE_UNAVAILABLE,
      detail: 'The database is unavailable. Try again shortly.',
      code: 'SERVICE.DATABASE_UNAVAILABLE',
      headers: { 'retry-after': '5' },
    };
  }
  const fastifyStatus = fastifyClientErrorStatus(error);
  if (fastifyStatus !== undefined) {
    return { status: fastifyStatus, detail: fastifyDetail(fastifyStatus, error) };
  }
  return { status: HttpStatus.INTERNAL_SERVER_ERROR, detail: GENERIC_500 };
}

function httpExceptionDetail(error: HttpException): string {
  const response = error.getResponse();
  if (typeof response === 'string') return response;
  const message = (response as { message?: unknown }).message;
  if (typeof message === 'string') return message;
  if (Array.isArray(message)) return message.join('; ');
  return error.message;
}

/** Fastify's own 4xx errors (body too large, bad JSON, unsupported media type). */
function fastifyClientErrorStatus(error: unknown): number | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const { statusCode, code } = error as { statusCode?: unknown; code?: unknown };
  const isFastify = typeof code === 'string' && code.startsWith('FST_');
  const isParser = error instanceof SyntaxError;
  if (
    typeof statusCode === 'number' &&
    statusCode >= 400 &&
    statusCode < 500 &&
    (isFastify || isParser)
  ) {
    return statusCode;
  }
  if (isParser) return HttpStatus.BAD_REQUEST;
  return undefined;
}

function fastifyDetail(status: number, error: unknown): string {
  switch (status) {
    case 413:
      return 'The request body is larger than this endpoint accepts.';
    case 414:
      return 'A path segment is longer than this server accepts.';
    case 415:
      return 'This content type is not accepted here; send application/json.';
    case 400:
      if (error instanceof SyntaxError) return 'The request body is not valid JSON.';
      return (error as { code?: unknown }).code === 'FST_ERR_BAD_URL'
        ? 'The URL is malformed (an invalid percent-encoding).'
        : 'The request is malformed.';
    default:
      return STATUS_CODES[status] ?? 'The request failed.';
  }
}

/** The problem+json body of an answer; `url` without its query is the `instance`. */
export function problemBody(mapped: Mapped, url: string, requestId: string): ProblemDto {
  return {
    type: problemType(mapped.code),
    title: STATUS_CODES[mapped.status] ?? 'Error',
    status: mapped.status,
    detail: mapped.detail,
    instance: url.split('?')[0] ?? url,
    requestId,
    ...(mapped.code ? { code: mapped.code } : {}),
    ...(mapped.errors ? { errors: mapped.errors } : {}),
  };
}

/** Turns every error into an RFC 9457 `application/problem+json` response. */
@Catch()
export class ProblemDetailsFilter implements ExceptionFilter {
  private readonly logger = new Logger('Errors');

  constructor(private readonly routes?: RouteTable) {}

  catch(error: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const request = http.getRequest<FastifyRequest>();
    const reply = http.getResponse<FastifyReply>();
    let mapped = mapError(error);

    // Fastify answers 404 for a known path with another method; that is a 405.
    if (
      mapped.status === 404 &&
      error instanceof HttpException &&
      request.routeOptions?.url === undefined
    ) {
      const allowed = this.routes?.allowedMethods(request.url) ?? [];
      if (allowed.length > 0) {
        mapped = {
          status: HttpStatus.METHOD_NOT_ALLOWED,
          detail: `${request.method} is not allowed here; use ${allowed.join(', ')}.`,
          headers: { allow: allowed.join(', ') },
        };
      } else {
        mapped = {
          status: 404,
          detail: `No route for ${request.method} ${request.url.split('?')[0]}.`,
        };
      }
    }

    const unavailable = mapped.status === 503;
    if (mapped.status >= 500 && !unavailable) {
      this.logger.error({ err: error, requestId: request.id }, 'unhandled error');
    } else if (unavailable) {
      this.logger.warn({ err: error, requestId: request.id }, 'dependency unavailable');
    }

    const body = problemBody(mapped, request.url, String(request.id));
    if (reply.sent) return;
    for (const [name, value] of Object.entries(mapped.headers ?? {}))
      void reply.header(name, value);
    void reply.status(mapped.status).header('content-type', PROBLEM_CONTENT_TYPE).send(body);
  }
}
