import { Client, Pool } from 'pg';
import type { DataSource } from 'typeorm';

/**
 * Counts the SQL statements the app sends that match `match`, through the real driver: on
 * Postgres every statement, TypeORM's and the hot paths' (`Sql`), goes through `pg`'s
 * `Client#query`; the embedded pool takes them from TypeORM's query runners.
 * Call `restore()` when done.
 */
export function countQueries(
  db: DataSource,
  match: (sql: string) => boolean,
): { count: () => number; restore: () => void } {
  let count = 0;
  const seen = (sql: unknown) => {
    const text = typeof sql === 'string' ? sql : (sql as { text?: unknown } | null)?.text;
    if (typeof text === 'string' && match(text)) count += 1;
  };
  if ((db.driver as unknown as { master: unknown }).master instanceof Pool) {
    const query = Client.prototype.query;
    const spy = jest.spyOn(Client.prototype, 'query').mockImplementation(function (
      this: Client,
      ...args: unknown[]
    ) {
      seen(args[0]);
      return (query as (...a: unknown[]) => unknown).apply(this, args) as never;
    });
    return { count: () => count, restore: () => spy.mockRestore() };
  }
  const original = db.driver.createQueryRunner.bind(db.driver);
  const spy = jest.spyOn(db.driver, 'createQueryRunner').mockImplementation((mode) => {
    const runner = original(mode);
    const query = runner.query.bind(runner);
    runner.query = ((sql: string, ...rest: unknown[]) => {
      seen(sql);
      return (query as (...a: unknown[]) => Promise<unknown>)(sql, ...rest);
    }) as typeof runner.query;
    return runner;
  });
  return { count: () => count, restore: () => spy.mockRestore() };
}

/** A read of the items table. */
export const selectsItems = (sql: string) =>
  /^\s*SELECT/i.test(sql) && /FROM "?items"?(\s|$)/.test(sql);
