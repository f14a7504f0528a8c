import fc from 'fast-check';
import { ValidationFailedError } from '../errors/domain-error';
import { decodeCursor, encodeCursor, toPage } from './pagination';

describe('cursors', () => {
  it('round-trips a sort key', () => {
    const cursor = encodeCursor([
      '2026-01-01T00:00:00.000Z',
      '01a2054c-1a73-7cba-9aa7-33fe19f4d478',
    ]);
    expect(decodeCursor(cursor, ['timestamp', 'uuid'])).toEqual([
      '2026-01-01T00:00:00.000Z',
      '01a2054c-1a73-7cba-9aa7-33fe19f4d478',
    ]);
  });

  it.each([
    ['not base64 json', 'garbage!!'],
    ['wrong arity', encodeCursor(['a', 'b'])],
    ['wrong kind', encodeCursor([42])],
    ['sql in a uuid slot', encodeCursor(["x' OR 1=1 --"])],
    ['an object', Buffer.from('{"a":1}').toString('base64url')],
  ])('rejects %s with a validation error', (_name, cursor) => {
    expect(() => decodeCursor(cursor, ['uuid'])).toThrow(ValidationFailedError);
  });

  it.each([
    '1',
    'x 1',
    '2020-02-30',
    '2020-02-30T00:00:00.000Z',
    '2021-02-29T00:00:00.000Z',
    '+275760-09-13T00:00:00.000Z',
    '-000001-01-01T00:00:00.000Z',
    '0000-01-01T00:00:00.000Z',
    '2026-01-01T00:00:00Z',
  ])('rejects the timestamp %p, which Postgres would refuse or read otherwise', (value) => {
    expect(() => decodeCursor(encodeCursor([value]), ['timestamp'])).toThrow(ValidationFailedError);
  });

  it('accepts every timestamp an item can have, and only the form toISOString writes', () => {
    const dates = fc.date({
      min: new Date('0001-01-01T00:00:00.000Z'),
      max: new Date('9999-12-31T23:59:59.999Z'),
      noInvalidDate: true,
    });
    fc.assert(
      fc.property(dates, (date) => {
        const value = date.toISOString();
        expect(decodeCursor(encodeCursor([value]), ['timestamp'])).toEqual([value]);
      }),
    );
    fc.assert(
      fc.property(fc.string(), (value) => {
        let accepted: boolean;
        try {
          decodeCursor(encodeCursor([value]), ['timestamp']);
          accepted = true;
        } catch (error) {
          expect(error).toBeInstanceOf(ValidationFailedError);
          accepted = false;
        }
        if (accepted) expect(new Date(value).toISOString()).toBe(value);
      }),
    );
  });

  it('rejects strings Postgres cannot store', () => {
    for (const value of ['a\u0000', '\ud800']) {
      expect(() => decodeCursor(encodeCursor([value]), ['string'])).toThrow(ValidationFailedError);
    }
  });

  it('builds a page and a cursor only when more rows exist', () => {
    const rows = [{ id: 1 }, { id: 2 }, { id: 3 }];
    expect(
      toPage(
        rows,
        2,
        (r) => r.id,
        (r) => [r.id],
      ),
    ).toEqual({ data: [1, 2], nextCursor: encodeCursor([2]) });
    expect(
      toPage(
        rows,
        3,
        (r) => r.id,
        (r) => [r.id],
      ),
    ).toEqual({ data: [1, 2, 3], nextCursor: null });
  });
});
