import { cacheKey } from './response-cache.interceptor';

describe('cacheKey', () => {
  it('ignores the order of query parameters', () => {
    expect(cacheKey('/v1/items?sort=name&limit=5')).toBe(cacheKey('/v1/items?limit=5&sort=name'));
  });

  it('keeps different queries and paths apart', () => {
    expect(cacheKey('/v1/items?q=a')).not.toBe(cacheKey('/v1/items?q=b'));
    expect(cacheKey('/v1/items/1')).not.toBe(cacheKey('/v1/items/2'));
  });

  it('hashes long keys to a bounded length', () => {
    const key = cacheKey(`/v1/items?q=${'x'.repeat(500)}`);
    expect(key.length).toBeLessThan(100);
    expect(key).not.toBe(cacheKey(`/v1/items?q=${'x'.repeat(499)}y`));
  });
});
