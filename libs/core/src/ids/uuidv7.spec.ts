import { uuidv7 } from './uuidv7';

describe('uuidv7', () => {
  it('is a version 7, RFC 9562 variant UUID carrying the time', () => {
    const id = uuidv7(0x0123456789ab);
    expect(id).toMatch(/^01234567-89ab-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });

  it('sorts by creation time and does not repeat', () => {
    const ids = Array.from({ length: 5000 }, (_, i) =>
      uuidv7(1_700_000_000_000 + Math.floor(i / 10)),
    );
    expect(new Set(ids).size).toBe(ids.length);
    const times = ids.map((id) => id.slice(0, 13));
    expect([...times].sort()).toEqual(times);
  });
});
