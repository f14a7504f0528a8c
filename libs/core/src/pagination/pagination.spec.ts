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
