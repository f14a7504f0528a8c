import { setTimeout as sleep } from 'node:timers/promises';
import { DataSource } from 'typeorm';
import { pgliteDriver } from './pglite-pool';

/**
 * PGlite is a single session. Without the serialized pool, the second transaction's
 * COMMIT would also commit the first one's insert, which then "rolls back" nothing.
 */
describe('SerializedPGlitePool', () => {
  let dataSource: DataSource;

  beforeAll(async () => {
    dataSource = await new DataSource({ type: 'postgres', driver: pgliteDriver({}) }).initialize();
    await dataSource.query('CREATE TABLE t (id int PRIMARY KEY, note text)');
  });

  afterAll(async () => {
    await dataSource.destroy();
  });

  it('keeps a rolled-back transaction rolled back while another commits', async () => {
    const failing = dataSource.transaction(async (tx) => {
      await tx.query(`INSERT INTO t VALUES (1, 'rolled back')`);
      await sleep(50);
      throw new Error('abort');
    });
    const committing = dataSource.transaction(async (tx) => {
      await tx.query(`INSERT INTO t VALUES (2, 'committed')`);
    });
    await expect(failing).rejects.toThrow('abort');
    await committing;
    const rows = await dataSource.query<Array<{ id: number }>>('SELECT id FROM t ORDER BY id');
    expect(rows.map((r) => r.id)).toEqual([2]);
  });

  it('runs many concurrent transactions without losing or leaking rows', async () => {
    await dataSource.query('DELETE FROM t');
    const work = Array.from({ length: 20 }, (_, i) =>
      dataSource.transaction(async (tx) => {
        await tx.query('INSERT INTO t VALUES ($1, $2)', [100 + i, 'x']);
        await sleep(i % 3);
        if (i % 2 === 0) throw new Error(`abort ${i}`);
      }),
    );
    const results = await Promise.allSettled(work);
    expect(results.filter((r) => r.status === 'rejected')).toHaveLength(10);
    const rows = await dataSource.query<Array<{ id: number }>>('SELECT id FROM t ORDER BY id');
    expect(rows.map((r) => r.id)).toEqual(Array.from({ length: 10 }, (_, i) => 101 + i * 2));
  });
});
