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
const EXAMPLES: Record<number, { code?: string; detail: string; errors?: FieldError[] }> = {
  400: {
    code: 'REQUEST.VALIDATION_FAILED',
    detail: 'The request is not valid.',
    errors: [{ field: 'price', message: 'price must be a decimal string with at most two places' }],
  },
  401: { code: 'AUTH.INVALID_ACCESS_TOKEN', detail: 'A valid bearer access token is required.' },
  403: { code: 'AUTH.FORBIDDEN', detail: 'Your roles do not allow this.' },
  404: { code: 'ITEM.NOT_FOUND', detail: 'No such item.' },
  409: { code: 'USER.EMAIL_TAKEN', detail: 'An account with this email already exists.' },
  412: {
    code: 'REQUEST.PRECONDITION_FAILED',
    detail:
      'The resource has changed since it was read (If-Match does not match its ETag). Read it again and retry.',
  },
  413: { code: 'UPLOAD.TOO_LARGE', detail: 'The upload is larger than 104857600 bytes.' },
  415: {
    code: 'REQUEST.UNSUPPORTED_MEDIA_TYPE',
    detail: 'Send the body as text/csv or application/x-ndjson.',
  },
  422: {
    code: 'IDEMPOTENCY.KEY_REUSED',
    detail: 'This Idempotency-Key was already used with a different request.',
  },
  429: { code: 'REQUEST.RATE_LIMITED', detail: 'Too many requests. Try again later.' },
  500: {
    detail: 'An unexpected error occurred. Quote the request id when reporting it.',
  },
  503: {
    code: 'SERVICE.UNAVAILABLE',
    detail: 'A service this request needs is unavailable. Try again shortly.',
  },
};

export function problemExample(status: number): Omit<ProblemDto, 'instance' | 'requestId'> {
  const { code, detail, errors } = EXAMPLES[status] ?? { detail: STATUS_CODES[status] ?? '' };
  return {
    type: problemType(code),
    title: STATUS_CODES[status] ?? 'Error',
    status,
    detail,
    ...(code ? { code } : {}),
    ...(errors ? { errors } : {}),
  };
}
