import { DomainError } from '@keel/core';

const BEARER_CHALLENGE = { 'www-authenticate': 'Bearer realm="keel", error="invalid_token"' };

export class InvalidCredentialsError extends DomainError {
  constructor() {
    super('unauthorized', 'AUTH.INVALID_CREDENTIALS', 'The email or password is wrong.');
  }
}

export class AccountDisabledError extends DomainError {
  constructor() {
    super('forbidden', 'AUTH.ACCOUNT_DISABLED', 'This account is disabled.');
  }
}

export class InvalidAccessTokenError extends DomainError {
  constructor(detail = 'A valid bearer access token is required.') {
    super('unauthorized', 'AUTH.INVALID_ACCESS_TOKEN', detail, undefined, BEARER_CHALLENGE);
  }
}

export class InvalidRefreshTokenError extends DomainError {
  constructor() {
    super(
      'unauthorized',
      'AUTH.INVALID_REFRESH_TOKEN',
      'The refresh token is not valid. Sign in again.',
    );
  }
}

export class RefreshTokenReusedError extends DomainError {
  constructor() {
    super(
      'unauthorized',
      'AUTH.REFRESH_TOKEN_REUSED',
      'This refresh token was already used; every session started from the same sign-in has been ended. Sign in again.',
    );
  }
}

export class ForbiddenRoleError extends DomainError {
  constructor() {
    super('forbidden', 'AUTH.FORBIDDEN', 'Your roles do not allow this.');
  }
}

/** A mailed token (verification or reset) that is unknown, expired, used or of the other kind. */
export class InvalidMailTokenError extends DomainError {
  constructor() {
    super(
      'validation',
      'AUTH.INVALID_TOKEN',
      'This link is not valid: it has expired, was already used, or is not for this purpose. Ask for a new one.',
    );
  }
}

export class EmailNotVerifiedError extends DomainError {
  constructor() {
    super(
      'forbidden',
      'AUTH.EMAIL_NOT_VERIFIED',
      'Confirm your email address first: follow the link in the mail we sent you.',
    );
  }
}

export class EmailAlreadyVerifiedError extends DomainError {
  constructor() {
    super('conflict', 'AUTH.EMAIL_ALREADY_VERIFIED', 'Your email address is already verified.');
  }
}

export class InvalidMfaCodeError extends DomainError {
  constructor() {
    super('unauthorized', 'AUTH.INVALID_MFA_CODE', 'The code is wrong, expired or already used.');
  }
}

export class InvalidMfaChallengeError extends DomainError {
  constructor() {
    super(
      'unauthorized',
      'AUTH.INVALID_MFA_CHALLENGE',
      'This sign-in challenge is not valid: it has expired or was already used. Sign in again.',
    );
  }
}

export class MfaStateError extends DomainError {
  constructor(detail: string) {
    super('conflict', 'AUTH.MFA_STATE', detail);
  }
}
