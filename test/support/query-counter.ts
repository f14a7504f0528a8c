import { Client } from 'pg';

/**
 * Counts the SQL statements the app sends that match `match`, through the real driver: every
 * statement, TypeORM's and the hot paths' (`Sql`), goes through `pg`'s `Client#query`.
 * Call `restore()` when done.
 */
export function countQueries(match: (sql: string) => boolean): {
  count: () => number;
  restore: () => void;
} {
  let count = 0;
  const query = Client.prototype.query;
  const spy = jest.spyOn(Client.prototype, 'query').mockImplementation(function (
    this: Client,
    ...args: unknown[]
  ) {
    const text =
      typeof args[0] === 'string' ? args[0] : (args[0] as { text?: unknown } | null)?.text;
    if (typeof text === 'string' && match(text)) count += 1;
    return (query as (...a: unknown[]) => unknown).apply(this, args) as never;
  });
  return { count: () => count, restore: () => spy.mockRestore() };
}

/** A read of the items table. */
export const selectsItems = (sql: string) =>
  /^\s*SELECT/i.test(sql) && /FROM "?items"?(\s|$)/.test(sql);
