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

export class SsoDisabledError extends DomainError {
  constructor() {
    super('not_found', 'AUTH.SSO_DISABLED', 'Single sign-on is not configured on this server.');
  }
}

/** A callback whose state is unknown, used, expired, or was started in another browser. */
export class InvalidSsoStateError extends DomainError {
  constructor() {
    super(
      'unauthorized',
      'AUTH.SSO_INVALID_STATE',
      'This sign-in is not valid: it has expired, was already used, or was started in another browser. Start again.',
    );
  }
}

/** The provider refused, or its answer failed a check (PKCE, nonce, signature, issuer, audience). */
export class SsoFailedError extends DomainError {
  constructor(detail = 'The identity provider’s answer could not be verified. Start again.') {
    super('unauthorized', 'AUTH.SSO_FAILED', detail);
  }
}

/** No account yet, and the provider does not vouch for an email address to create one with. */
export class SsoEmailUnverifiedError extends DomainError {
  constructor() {
    super(
      'forbidden',
      'AUTH.SSO_EMAIL_UNVERIFIED',
      'Your identity provider did not confirm your email address, so no account can be made with it. Verify the address with the provider and try again.',
    );
  }
}

/** An account has the address, but the provider does not vouch for it: linking would be a takeover. */
export class SsoAccountExistsError extends DomainError {
  constructor() {
    super(
      'conflict',
      'AUTH.SSO_ACCOUNT_EXISTS',
      'An account with this email address exists, and your identity provider did not confirm the address, so it cannot be linked. Sign in with your password, or verify the address with the provider and try again.',
    );
  }
}
