import { assertVersion, parseIfMatch, PreconditionFailedError } from './preconditions';

describe('If-Match', () => {
  it.each([
    [undefined, undefined],
    ['*', '*'],
    ['"3"', [3]],
    ['"1", "2"', [1, 2]],
    ['W/"3"', []],
    ['3', []],
    ['"abc"', []],
    [
      ['"4"', '"5"'],
      [4, 5],
    ],
  ])('parses %j', (header, expected) => {
    expect(parseIfMatch(header)).toEqual(expected);
  });

  it('passes a matching or absent precondition and refuses others with 412', () => {
    expect(() => assertVersion(undefined, 2)).not.toThrow();
    expect(() => assertVersion('*', 2)).not.toThrow();
    expect(() => assertVersion([1, 2], 2)).not.toThrow();
    expect(() => assertVersion([1], 2)).toThrow(PreconditionFailedError);
    expect(() => assertVersion([], 2)).toThrow(PreconditionFailedError);
  });
});
