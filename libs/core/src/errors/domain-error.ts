/**
 * What kind of failure a domain error is. The problem+json filter maps each kind to
 * one HTTP status with an exhaustive switch; a new kind will not compile until it is mapped.
 */
export type ErrorKind =
  | 'validation'
  | 'unauthorized'
  | 'forbidden'
  | 'not_found'
  | 'conflict'
  | 'precondition_failed'
  | 'unprocessable'
  | 'too_large'
  | 'unsupported_media_type'
  | 'rate_limited'
  | 'unavailable';

export interface FieldError {
  field: string;
  message: string;
}

/**
 * Base class of every error a feature raises on purpose. `code` is stable and
 * documented (for example `USER.EMAIL_TAKEN`); `message` is safe to show a client.
 */
export class DomainError extends Error {
  constructor(
    readonly kind: ErrorKind,
    readonly code: string,
    message: string,
    readonly errors?: FieldError[],
    /** Extra response headers, for example `Retry-After`. */
    readonly headers?: Record<string, string>,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

export class ValidationFailedError extends DomainError {
  constructor(errors: FieldError[], message = 'The request is not valid.') {
    super('validation', 'REQUEST.VALIDATION_FAILED', message, errors);
  }
}

export class ServiceUnavailableError extends DomainError {
  constructor(message = 'A service this request needs is unavailable. Try again shortly.') {
    super('unavailable', 'SERVICE.UNAVAILABLE', message, undefined, { 'retry-after': '5' });
  }
}
