import { apiKeyMatches, lookupPrefixOf, newApiKeySecret } from './api-key-secret';

describe('API key secrets', () => {
  it('are keel_ and 43 base64url characters (32 bytes), different each time', () => {
    const a = newApiKeySecret();
    const b = newApiKeySecret();
    expect(a.key).toMatch(/^keel_[A-Za-z0-9_-]{43}$/);
    expect(Buffer.from(a.key.slice(5), 'base64url')).toHaveLength(32);
    expect(a.key).not.toBe(b.key);
  });

  it('are found by their prefix and matched by their SHA-256', () => {
    const { key, prefix, hash } = newApiKeySecret();
    expect(lookupPrefixOf(key)).toBe(prefix);
    expect(hash).toMatch(/^[0-9a-f]{64}$/);
    expect(apiKeyMatches(key, hash)).toBe(true);
    expect(apiKeyMatches(key.slice(0, -1) + (key.endsWith('A') ? 'B' : 'A'), hash)).toBe(false);
  });

  it('refuses malformed keys before any lookup', () => {
    const { key } = newApiKeySecret();
    for (const bad of [
      key.slice(0, -1),
      `${key}A`,
      key.replace('keel_', 'KEEL_'),
      `${key.slice(0, -1)}=`,
      '',
    ])
      expect(lookupPrefixOf(bad)).toBeNull();
  });
});
