import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';

/**
 * Seals what the database must keep but must not hold usable: a mail job's token until the
 * mail is sent, a TOTP secret, a webhook's signing secret. AES-256-GCM under keys derived from the server's secrets.
 *
 * The secrets are a ring (`ENCRYPTION_KEYS`, then `JWT_SECRET`): the first seals, every one
 * opens, so a key can be replaced without making what it sealed unreadable.
 */
export class TokenSeal {
  private readonly keys: Buffer[];

  /** `purpose` keeps keys for different uses apart (the TOTP secrets use their own). */
  constructor(secrets: readonly string[], purpose = 'mail token seal') {
    if (secrets.length === 0) throw new Error('TokenSeal needs at least one secret');
    this.keys = secrets.map((secret) =>
      Buffer.from(hkdfSync('sha256', secret, 'keel', purpose, 32)),
    );
  }

  seal(token: string): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.keys[0], iv);
    const data = Buffer.concat([cipher.update(token, 'utf8'), cipher.final()]);
    return [iv, cipher.getAuthTag(), data].map((b) => b.toString('base64url')).join('.');
  }

  /** Throws when the sealed form was changed or no key of the ring sealed it. */
  open(sealed: string): string {
    const [iv, tag, data] = sealed.split('.').map((p) => Buffer.from(p, 'base64url'));
    if (!iv || !tag || !data) throw new Error('malformed sealed token');
    for (const key of this.keys) {
      try {
        const decipher = createDecipheriv('aes-256-gcm', key, iv);
        decipher.setAuthTag(tag);
        return Buffer.concat([decipher.update(data), decipher.final()]).toString('utf8');
      } catch {
        // Not this key's: the next one may open it.
      }
    }
    throw new Error('no key opens this sealed token');
  }
}
