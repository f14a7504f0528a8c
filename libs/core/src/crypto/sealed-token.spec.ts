import { TokenSeal } from './sealed-token';

describe('TokenSeal', () => {
  const secret = 'a server secret of enough length 0123456789';
  const seal = new TokenSeal([secret]);

  it('opens what it sealed, and the sealed form does not contain the token', () => {
    const token = 'Zm9vYmFyYmF6cXV4LXRoZS10b2tlbi1pdHNlbGY';
    const sealed = seal.seal(token);
    expect(sealed).not.toContain(token);
    expect(seal.open(sealed)).toBe(token);
  });

  it('refuses a sealed token that was changed, or sealed under another secret', () => {
    const sealed = seal.seal('the token');
    const [iv, tag, data] = sealed.split('.') as [string, string, string];
    const flipped = Buffer.from(data, 'base64url');
    flipped[0] = flipped[0] ^ 1;
    expect(() => seal.open([iv, tag, flipped.toString('base64url')].join('.'))).toThrow();
    expect(() => new TokenSeal(['another secret, also long enough 0123']).open(sealed)).toThrow();
  });

  it('seals with the first key of its ring and opens with any, so a key can be replaced', () => {
    const next = 'the replacing secret, long enough 0123456789';
    const rotated = new TokenSeal([next, secret]);
    const old = seal.seal('sealed before the rotation');
    expect(rotated.open(old)).toBe('sealed before the rotation');
    const sealed = rotated.seal('sealed after');
    expect(new TokenSeal([next]).open(sealed)).toBe('sealed after');
    expect(() => seal.open(sealed)).toThrow();
  });

  it('keeps keys for different purposes apart', () => {
    expect(() => new TokenSeal([secret], 'totp secret seal').open(seal.seal('x'))).toThrow();
  });
});
