import { DomainError } from '@keel/core';

export class ApiKeyNotFoundError extends DomainError {
  constructor() {
    super('not_found', 'AUTH.API_KEY_NOT_FOUND', 'You have no API key with this id.');
  }
}

export class ApiKeyScopeError extends DomainError {
  constructor() {
    super(
      'forbidden',
      'AUTH.API_KEY_NOT_ALLOWED',
      'API keys may call this route only with its scope; this one needs a signed-in user or another scope.',
    );
  }
}

export class ApiKeyExpiryError extends DomainError {
  constructor() {
    super('validation', 'AUTH.API_KEY_EXPIRY', 'expiresAt must be in the future.', [
      { field: 'expiresAt', message: 'expiresAt must be in the future' },
    ]);
  }
}
