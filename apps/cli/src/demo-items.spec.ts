import { validateAs } from '@keel/core';
import { CreateItemDto } from '@keel/items';
import { demoItem } from './demo-items';

describe('demoItem', () => {
  it('gives items that pass the API’s own checks, as many as seed allows', () => {
    for (let i = 0; i < 10_000; i++) {
      const result = validateAs(CreateItemDto, demoItem(i));
      if (result.errors) throw new Error(`item ${i}: ${JSON.stringify(result.errors)}`);
    }
  });

  it('is a fixed sequence: the same index, the same item', () => {
    expect(demoItem(42)).toEqual(demoItem(42));
    expect(demoItem(0)).toEqual({
      name: 'Walnut desk',
      description: 'Walnut desk, demo item 1.',
      price: '180.00',
    });
  });

  it('varies names across the first hundred items', () => {
    const names = new Set(Array.from({ length: 100 }, (_, i) => demoItem(i).name));
    expect(names.size).toBe(100);
  });
});
