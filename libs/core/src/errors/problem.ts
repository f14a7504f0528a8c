import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { STATUS_CODES } from 'node:http';
import type { FieldError } from './domain-error';

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

class FieldErrorDto implements FieldError {
  @ApiProperty({ example: 'email' })
  field!: string;

  @ApiProperty({ example: 'email must be an email' })
  message!: string;
}

/** RFC 9457 problem details, the body of every error response. */
export class ProblemDto {
  @ApiProperty({ example: 'https://keel.dev/problems/request-validation-failed' })
  type!: string;

  @ApiProperty({ example: 'Bad Request' })
  title!: string;

  @ApiProperty({ example: 400 })
  status!: number;

  @ApiProperty({ example: 'The request is not valid.' })
  detail!: string;

  @ApiProperty({ example: '/v1/auth/register' })
  instance!: string;

  @ApiProperty({ example: '9b2f6c1e-6d0f-4e53-a3f4-1f0f5f3c2a11' })
  requestId!: string;

  @ApiPropertyOptional({ example: 'REQUEST.VALIDATION_FAILED' })
  code?: string;

  @ApiPropertyOptional({ type: [FieldErrorDto] })
  errors?: FieldError[];
}

/** The `type` of a problem: a URL derived from its code, or `about:blank` without one. */
export function problemType(code: string | undefined): string {
  return code
    ? `https://keel.dev/problems/${code.toLowerCase().replace(/[._]/g, '-')}`
    : 'about:blank';
}

/** A typical problem of each status, as the server words it: the OpenAPI document's examples. */
const EXAMPLES: Record<
  number,
  { code?: string; detail: string; instance: string; errors?: FieldError[] }
> = {
  400: {
    code: 'REQUEST.VALIDATION_FAILED',
    detail: 'The request is not valid.',
    instance: '/v1/items',
    errors: [{ field: 'price', message: 'price must be a decimal string with at most two places' }],
  },
  401: {
    code: 'AUTH.INVALID_ACCESS_TOKEN',
    detail: 'A valid bearer access token is required.',
    instance: '/v1/users/me',
  },
  403: { code: 'AUTH.FORBIDDEN', detail: 'Your roles do not allow this.', instance: '/v1/users' },
  404: {
    code: 'ITEM.NOT_FOUND',
    detail: 'No such item.',
    instance: '/v1/items/0190f5e2-7c1a-7d3e-9a4b-5c6d7e8f9a0b',
  },
  409: {
    code: 'USER.EMAIL_TAKEN',
    detail: 'An account with this email already exists.',
    instance: '/v1/auth/register',
  },
  412: {
    code: 'REQUEST.PRECONDITION_FAILED',
    detail:
      'The resource has changed since it was read (If-Match does not match its ETag). Read it again and retry.',
    instance: '/v1/items/0190f5e2-7c1a-7d3e-9a4b-5c6d7e8f9a0b',
  },
  413: {
    code: 'UPLOAD.TOO_LARGE',
    detail: 'The upload is larger than 104857600 bytes.',
    instance: '/v1/items/imports',
  },
  415: {
    code: 'REQUEST.UNSUPPORTED_MEDIA_TYPE',
    detail: 'Send the body as text/csv or application/x-ndjson.',
    instance: '/v1/items/imports',
  },
  422: {
    code: 'IDEMPOTENCY.KEY_REUSED',
    detail: 'This Idempotency-Key was already used with a different request.',
    instance: '/v1/items',
  },
  429: {
    code: 'REQUEST.RATE_LIMITED',
    detail: 'Too many requests. Try again later.',
    instance: '/v1/auth/login',
  },
  500: {
    detail: 'An unexpected error occurred. Quote the request id when reporting it.',
    instance: '/v1/items',
  },
  503: {
    code: 'SERVICE.UNAVAILABLE',
    detail: 'A service this request needs is unavailable. Try again shortly.',
    instance: '/v1/items',
  },
};

/** Every example's request id: the document stays the same from one build to the next. */
const EXAMPLE_REQUEST_ID = '9b2f6c1e-6d0f-4e53-a3f4-1f0f5f3c2a11';

export function problemExample(status: number): ProblemDto {
  const { code, detail, instance, errors } = EXAMPLES[status] ?? {
    detail: STATUS_CODES[status] ?? '',
    instance: '/v1/items',
  };
  return {
    type: problemType(code),
    title: STATUS_CODES[status] ?? 'Error',
    status,
    detail,
    instance,
    requestId: EXAMPLE_REQUEST_ID,
    ...(code ? { code } : {}),
    ...(errors ? { errors } : {}),
  };
}
