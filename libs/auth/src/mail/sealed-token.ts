import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';

/**
 * A mail job must carry its token until the mail is sent (a retry sends the same link),
 * but the jobs table is no place for a usable token: the job keeps it sealed with a key
 * derived from the server secret (AES-256-GCM), and only the mail holds it in clear.
 */
export class TokenSeal {
  private readonly key: Buffer;

  /** `purpose` keeps keys for different uses apart (the TOTP secrets use their own). */
  constructor(secret: string, purpose = 'mail token seal') {
    this.key = Buffer.from(hkdfSync('sha256', secret, 'keel', purpose, 32));
  }

  seal(token: string): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    const data = Buffer.concat([cipher.update(token, 'utf8'), cipher.final()]);
    return [iv, cipher.getAuthTag(), data].map((b) => b.toString('base64url')).join('.');
  }

  open(sealed: string): string {
    const [iv, tag, data] = sealed.split('.').map((p) => Buffer.from(p, 'base64url'));
    if (!iv || !tag || !data) throw new Error('malformed sealed token');
    const decipher = createDecipheriv('aes-256-gcm', this.key, iv);
    decipher.setAuthTag(tag);
    return Buffer.concat([decipher.update(data), decipher.final()]).toString('utf8');
  }
}
