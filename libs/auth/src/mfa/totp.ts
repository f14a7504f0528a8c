import { createHash, randomBytes } from 'node:crypto';
import { Secret, TOTP } from 'otpauth';

export const TOTP_ISSUER = 'Keel';
export const TOTP_PERIOD_SECONDS = 30;
/** Codes one step before or after the current one are accepted (clock drift). */
export const TOTP_WINDOW = 1;
export const RECOVERY_CODE_COUNT = 10;

export function sha256(value: string): string {
  return createHash('sha256').update(value).digest('hex');
}

export function newTotpSecret(): string {
  return new Secret({ size: 20 }).base32;
}

export function totpFor(secretBase32: string, label: string): TOTP {
  return new TOTP({
    issuer: TOTP_ISSUER,
    label,
    algorithm: 'SHA1',
    digits: 6,
    period: TOTP_PERIOD_SECONDS,
    secret: Secret.fromBase32(secretBase32),
  });
}

/** The time step a code belongs to (within ±TOTP_WINDOW of now), or null when it is wrong. */
export function matchingStep(secretBase32: string, code: string, now = Date.now()): number | null {
  if (!/^\d{6}$/.test(code)) return null;
  const totp = totpFor(secretBase32, 'check');
  const delta = totp.validate({ token: code, timestamp: now, window: TOTP_WINDOW });
  return delta === null ? null : totp.counter({ timestamp: now }) + delta;
}

/** Ten codes of 80 random bits, shown once as `xxxxx-xxxxx` (base32, lower case). */
export function newRecoveryCodes(): string[] {
  return Array.from({ length: RECOVERY_CODE_COUNT }, () => {
    const raw = new Secret({ buffer: randomBytes(10).buffer }).base32.toLowerCase();
    return `${raw.slice(0, 8)}-${raw.slice(8, 16)}`;
  });
}

/** Recovery codes are compared by the hash of their normalised form (case and dashes ignored). */
export function recoveryCodeHash(code: string): string {
  return sha256(code.toLowerCase().replace(/[^a-z2-7]/g, ''));
}
