import { sqlVerb } from './pool-metrics';

describe('sqlVerb', () => {
  it('names a statement by its first keyword, for text and query configs', () => {
    expect(sqlVerb('  select 1')).toBe('SELECT');
    expect(sqlVerb({ name: 'item_by_id', text: 'SELECT * FROM items WHERE id = $1' })).toBe(
      'SELECT',
    );
    expect(sqlVerb('START TRANSACTION')).toBe('BEGIN');
    expect(sqlVerb(undefined)).toBe('OTHER');
  });

  it('names a data-modifying CTE by what it modifies', () => {
    expect(
      sqlVerb('WITH item AS (INSERT INTO items VALUES ($1) RETURNING *) SELECT * FROM item'),
    ).toBe('INSERT');
    expect(sqlVerb('WITH recent AS (SELECT 1) SELECT * FROM recent')).toBe('SELECT');
  });
});
