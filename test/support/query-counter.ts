import type { DataSource } from 'typeorm';

/**
 * Counts the SQL statements the app sends that match `match`, through the real driver.
 * Call `restore()` when done.
 */
export function countQueries(
  db: DataSource,
  match: (sql: string) => boolean,
): { count: () => number; restore: () => void } {
  let count = 0;
  const original = db.driver.createQueryRunner.bind(db.driver);
  const spy = jest.spyOn(db.driver, 'createQueryRunner').mockImplementation((mode) => {
    const runner = original(mode);
    const query = runner.query.bind(runner);
    runner.query = ((sql: string, ...rest: unknown[]) => {
      if (match(sql)) count += 1;
      return (query as (...a: unknown[]) => Promise<unknown>)(sql, ...rest);
    }) as typeof runner.query;
    return runner;
  });
  return { count: () => count, restore: () => spy.mockRestore() };
}

/** A read of the items table. */
export const selectsItems = (sql: string) => sql.includes('SELECT') && /FROM "items"/.test(sql);
