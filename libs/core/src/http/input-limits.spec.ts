import fc from 'fast-check';
import { exceededJsonLimit, findUnacceptableText, isAcceptableText } from './input-limits';

/** Depth and members of a parsed value, counted as the scan counts them in its text. */
function measure(value: unknown, depth = 0): { depth: number; members: number } {
  if (typeof value !== 'object' || value === null) return { depth, members: 0 };
  const children = Object.values(value);
  const inner = children.map((child) => measure(child, depth + 1));
  return {
    depth: Math.max(depth + 1, ...inner.map((m) => m.depth)),
    // The container itself, a comma between children, and what the children hold.
    members: 1 + Math.max(0, children.length - 1) + inner.reduce((n, m) => n + m.members, 0),
  };
}

describe('exceededJsonLimit', () => {
  const limits = { maxDepth: 4, maxMembers: 12 };

  it('agrees with the parsed value on any JSON text', () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 6 }), (value) => {
        const text = JSON.stringify(value);
        const { depth, members } = measure(value);
        const within = depth <= limits.maxDepth && members <= limits.maxMembers;
        expect(exceededJsonLimit(text, limits) === undefined).toBe(within);
      }),
      { numRuns: 2_000 },
    );
  });

  it('names the limit it exceeds', () => {
    expect(exceededJsonLimit('[[[[[]]]]]', limits)).toBe('nests deeper than 4 levels');
    expect(exceededJsonLimit(`[${'1,'.repeat(12)}1]`, limits)).toBe(
      'has more than 12 members and items',
    );
  });

  it('ignores brackets, commas and escaped quotes inside strings', () => {
    expect(
      exceededJsonLimit(`["\\"[[[[[,,,,,,,,,,,,,,", "\\\\", "{{{{{"]`, limits),
    ).toBeUndefined();
    // An unterminated string swallows the rest; the parser refuses the text afterwards.
    expect(exceededJsonLimit('["[[[[[[', limits)).toBeUndefined();
  });
});

describe('text rule', () => {
  it('accepts well-formed text and refuses NUL and lone surrogates', () => {
    expect(isAcceptableText('Ada 🚀 é')).toBe(true);
    expect(isAcceptableText('a\u0000')).toBe(false);
    expect(isAcceptableText('\ud800')).toBe(false);
    expect(isAcceptableText('\udc00x')).toBe(false);
  });

  it('finds the first bad string, key or value, by its path', () => {
    expect(findUnacceptableText({ a: ['ok', { b: 'x\u0000' }] }, '')).toBe('a[1].b');
    expect(findUnacceptableText({ ['k\ud800']: 1 }, '')).toBe('k\ud800');
    expect(findUnacceptableText('\u0000', '')).toBe('');
    expect(findUnacceptableText({ a: 1, b: [true, null, 'fine'] }, '')).toBeUndefined();
  });
});
