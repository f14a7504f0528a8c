import { uuidv7 } from './uuidv7';

describe('uuidv7', () => {
  it('is a version 7, RFC 9562 variant UUID carrying the time', () => {
    const id = uuidv7(0x0123456789ab);
    expect(id).toMatch(/^01234567-89ab-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });

  it('sorts by creation time and does not repeat', () => {
    const ids = Array.from({ length: 5000 }, (_, i) =>
      uuidv7(1_800_000_000_000 + Math.floor(i / 10)),
    );
    expect(new Set(ids).size).toBe(ids.length);
    expect([...ids].sort()).toEqual(ids);
  });

  it('sorts in creation order within one millisecond', () => {
    const now = 1_900_000_000_000;
    const ids = Array.from({ length: 10_000 }, () => uuidv7(now));
    const outOfOrder = ids.findIndex((id, i) => i > 0 && id <= ids[i - 1]);
    expect(outOfOrder).toBe(-1);
    // Every id keeps the time it was made in: the counter did not spill into the next ms.
    expect(new Set(ids.map((id) => id.slice(0, 13))).size).toBe(1);
  });

  it('keeps the order when the clock steps back', () => {
    const first = uuidv7(2_000_000_000_000);
    const second = uuidv7(2_000_000_000_000 - 1_000);
    expect(second > first).toBe(true);
  });
});
