import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

export const API_KEY_PREFIX = 'keel_';
/** `keel_` and 32 random bytes in base64url (43 characters). */
const API_KEY_FORMAT = /^keel_([A-Za-z0-9_-]{43})$/;
const LOOKUP_LENGTH = 12;

function sha256(value: string): string {
  return createHash('sha256').update(value).digest('hex');
}

export function newApiKeySecret(): { key: string; prefix: string; hash: string } {
  const random = randomBytes(32).toString('base64url');
  const key = API_KEY_PREFIX + random;
  return { key, prefix: random.slice(0, LOOKUP_LENGTH), hash: sha256(key) };
}

/** The lookup prefix of a well-formed key, or null. */
export function lookupPrefixOf(key: string): string | null {
  const match = API_KEY_FORMAT.exec(key);
  return match ? match[1].slice(0, LOOKUP_LENGTH) : null;
}

export function apiKeyMatches(key: string, storedHash: string): boolean {
  return timingSafeEqual(Buffer.from(sha256(key)), Buffer.from(storedHash));
}
