import { ITEM_SORTS, itemPageQuery, type ItemSort } from '@keel/items';
import {
  eventsDelivered,
  signUp,
  startTestApp,
  walkPages,
  type SignedIn,
  type TestApp,
} from '@keel/testing';
import { getDataSourceToken } from '@nestjs/typeorm';
import fc from 'fast-check';
import { randomBytes } from 'node:crypto';
import type { DataSource } from 'typeorm';

interface ItemBody {
  id: string;
  name: string;
  price: string;
  createdAt: string;
}

/** What the tests know of each sort: the column and index it walks, and its direction. */
const SORTS: Record<ItemSort, { column: string; type: string; index: string; desc: boolean }> = {
  createdAt: {
    column: 'created_at',
    type: 'timestamptz',
    index: 'items_created_at_id_idx',
    desc: false,
  },
  '-createdAt': {
    column: 'created_at',
    type: 'timestamptz',
    index: 'items_created_at_id_idx',
    desc: true,
  },
  name: { column: 'name', type: 'varchar', index: 'items_name_id_idx', desc: false },
  '-name': { column: 'name', type: 'varchar', index: 'items_name_id_idx', desc: true },
  price: { column: 'price', type: 'numeric', index: 'items_price_id_idx', desc: false },
  '-price': { column: 'price', type: 'numeric', index: 'items_price_id_idx', desc: true },
};

const orderBy = (sort: ItemSort) => {
  const { column, desc } = SORTS[sort];
  const dir = desc ? 'DESC' : 'ASC';
  return `${column} ${dir}, id ${dir}`;
};

/** A cursor as the API makes it: base64url of JSON `[sort, sortValue, id]`. */
const encodeCursor = (sort: ItemSort, value: string, id: string) =>
  Buffer.from(JSON.stringify([sort, value, id])).toString('base64url');
const decodeCursor = (cursor: string) =>
  JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as [string, string, string];

/** The sort value of an item as the cursor holds it. */
const sortValueOf = (sort: ItemSort, item: ItemBody): string =>
  SORTS[sort].column === 'created_at'
    ? item.createdAt
    : SORTS[sort].column === 'name'
      ? item.name
      : item.price;

/** "12.50" → 1250n: prices compared exactly, not as floats. */
const cents = (price: string) => BigInt(price.replace('.', ''));

interface PlanNode {
  'Node Type': string;
  'Index Name'?: string;
  'Relation Name'?: string;
  'Scan Direction'?: string;
  'Index Cond'?: string;
  'Actual Rows': number;
  'Actual Loops': number;
  'Rows Removed by Filter'?: number;
  Plans?: PlanNode[];
}

const flatten = (node: PlanNode): PlanNode[] => [node, ...(node.Plans ?? []).flatMap(flatten)];

const walk = (t: TestApp, query: Record<string, string | number>) =>
  walkPages<ItemBody>(t.http, '/v1/items', query);

describe('items pagination', () => {
  describe('on 100,000 items, a page deep in every sort order', () => {
    const TOTAL = 100_000;
    const DEEP = 90_000;
    const LIMIT = 20;
    let t: TestApp;
    let db: DataSource;
    let owner: SignedIn;

    beforeAll(async () => {
      // The bulk insert below is setup, not a request: give it more than a request's bound.
      t = await startTestApp({
        DATABASE_STATEMENT_TIMEOUT_MS: '120000',
        DATABASE_QUERY_TIMEOUT_MS: '125000',
      });
      db = t.app.get<DataSource>(getDataSourceToken());
      owner = await signUp(t.http);
      // One statement; every sort column has ties, so the id tie-breaker matters.
      // created_at: 50,000 distinct millisecond values (two rows each); name: 10,400
      // distinct names (about ten rows each); price: 30,000 values (three or four rows each).
      await db.query(
        `INSERT INTO items (id, owner_id, name, description, price, created_at, updated_at)
         SELECT gen_random_uuid(), $1,
                chr((65 + (i * 7) % 26)::int) || chr((97 + (i * 13) % 26)::int) || ' ' || ((i * 7919) % 800),
                '',
                ((i * 104729) % 30000)::numeric / 100,
                ts, ts
           FROM generate_series(1::bigint, ${TOTAL}) AS i,
                LATERAL (SELECT timestamptz '2024-01-01 00:00:00+00'
                                + ((i * 7919) % 50000) * interval '1.001 second' AS ts) AS c`,
        [owner.id],
      );
      await db.query('ANALYZE items');
    }, 120_000);
    afterAll(async () => {
      await t?.close();
    });

    it('has the rows', async () => {
      const [{ n }] = await db.query<Array<{ n: string }>>('SELECT count(*) AS n FROM items');
      expect(Number(n)).toBe(TOTAL);
    });

    it.each(ITEM_SORTS.map((s) => [s]))(
      'sort=%s: the page after a deep cursor reads ~limit rows of its index, and the API returns the right rows',
      async (sort: ItemSort) => {
        const { column, type, index, desc } = SORTS[sort];
        // The first row at or after position DEEP whose successor has the same sort value:
        // the next page then starts with a tie that only the id can order.
        const [row] = await db.query<
          Array<{ id: string; name: string; price: string; created_at: Date; pos: string }>
        >(
          `SELECT id, name, price::text AS price, created_at, pos FROM (
             SELECT id, name, price, created_at,
                    row_number() OVER w AS pos, lead(${column}) OVER w AS next_value, ${column} AS value
               FROM items WINDOW w AS (ORDER BY ${orderBy(sort)})) AS s
            WHERE pos >= $1 AND next_value = value
            ORDER BY pos LIMIT 1`,
          [DEEP],
        );
        expect(row).toBeDefined();
        const value =
          column === 'created_at'
            ? new Date(row.created_at).toISOString()
            : column === 'name'
              ? row.name
              : row.price;
        const cursor = encodeCursor(sort, value, row.id);

        const { statement, values } = itemPageQuery({ limit: LIMIT, sort, cursor });
        const explained = await db.query<Array<{ 'QUERY PLAN': unknown }>>(
          `EXPLAIN (ANALYZE, FORMAT JSON) ${statement.text}`,
          values,
        );
        const raw = explained[0]['QUERY PLAN'];
        const plan = (typeof raw === 'string' ? JSON.parse(raw) : raw) as Array<{
          Plan: PlanNode;
        }>;
        const nodes = flatten(plan[0].Plan);
        const nodeTypes = nodes.map((n) => n['Node Type']);
        expect(nodeTypes).not.toContain('Seq Scan');
        expect(nodeTypes).not.toContain('Sort');
        expect(nodeTypes).not.toContain('Incremental Sort');
        expect(nodeTypes).not.toContain('Bitmap Heap Scan');
        const scans = nodes.filter((n) => /^Index (Only )?Scan$/.test(n['Node Type']));
        expect(scans).toHaveLength(1);
        const [scan] = scans;
        expect(scan['Index Name']).toBe(index);
        expect(scan['Scan Direction']).toBe(desc ? 'Backward' : 'Forward');
        // The cursor is a condition of the index scan (where it starts), not a filter on
        // rows read from the start of the index.
        // e.g. (ROW(price, id) > ROW(270.00, '…'::uuid))
        expect(scan['Index Cond']).toEqual(expect.stringContaining('ROW('));
        expect(scan['Index Cond']).toEqual(expect.stringContaining(column));
        expect(scan['Index Cond']).toEqual(expect.stringContaining(desc ? ' < ' : ' > '));
        expect(scan['Rows Removed by Filter'] ?? 0).toBe(0);
        expect(scan['Actual Loops']).toBe(1);
        expect(scan['Actual Rows']).toBeLessThanOrEqual(LIMIT + 1);

        // Through HTTP: the 20 rows that follow the cursor's row in the database's own order.
        const expected = await db.query<Array<{ id: string }>>(
          `SELECT id FROM items ORDER BY ${orderBy(sort)} OFFSET $1 LIMIT $2`,
          [Number(row.pos), LIMIT],
        );
        const res = await t.http.get('/v1/items').query({ sort, cursor, limit: LIMIT }).expect(200);
        const page = res.body as { data: ItemBody[]; nextCursor: string | null };
        expect(res.headers['x-cache']).toBe('MISS');
        expect(page.data).toHaveLength(LIMIT);
        expect(page.data.map((i) => i.id)).toEqual(expected.map((r) => r.id));
        // The tie: the first row has the cursor's value and an id past the cursor's id.
        expect(sortValueOf(sort, page.data[0])).toBe(value);
        expect(page.data[0].id > row.id).toBe(!desc);
        // Each row comes after the one before it (the cursor first), by (value, id).
        const sequence = [{ value, id: row.id }].concat(
          page.data.map((i) => ({ value: sortValueOf(sort, i), id: i.id })),
        );
        for (let k = 1; k < sequence.length; k++) {
          const [a, b] = [sequence[k - 1], sequence[k]];
          let cmp: number;
          if (column === 'price') cmp = Number(cents(b.value) - cents(a.value));
          else if (column === 'created_at') cmp = Date.parse(b.value) - Date.parse(a.value);
          else {
            // Names compare by the database's collation, so ask the database.
            const [r] = await db.query<Array<{ lt: boolean; eq: boolean }>>(
              `SELECT CAST($1 AS ${type}) < CAST($2 AS ${type}) AS lt, CAST($1 AS ${type}) = CAST($2 AS ${type}) AS eq`,
              [a.value, b.value],
            );
            cmp = r.eq ? 0 : r.lt ? 1 : -1;
          }
          if (cmp === 0) cmp = b.id > a.id ? 1 : -1;
          expect({ a, b, after: desc ? cmp < 0 : cmp > 0 }).toEqual({ a, b, after: true });
        }
        // The next cursor names the last row.
        const last = page.data[LIMIT - 1];
        expect(page.nextCursor).not.toBeNull();
        expect(decodeCursor(page.nextCursor ?? '')).toEqual([
          sort,
          sortValueOf(sort, last),
          last.id,
        ]);
        // The same page again comes from the cache.
        const again = await t.http
          .get('/v1/items')
          .query({ sort, cursor, limit: LIMIT })
          .expect(200);
        expect(again.headers['x-cache']).toBe('HIT');
        expect(again.body).toEqual(page);
      },
    );
  });

  describe('properties of a walk through the pages', () => {
    let t: TestApp;
    let db: DataSource;
    let owner: SignedIn;
    let runs = 0;

    beforeAll(async () => {
      t = await startTestApp();
      db = t.app.get<DataSource>(getDataSourceToken());
      owner = await signUp(t.http);
    });
    afterAll(async () => {
      await t?.close();
    });

    /** A token no other run's names contain: each run lists only its own items with `q`. */
    const newToken = () => {
      runs += 1;
      return `tok${runs}q${randomBytes(4).toString('hex')}`;
    };

    // Tiny alphabets so that names and prices tie often; names whose order differs between
    // collations (case, spaces, punctuation), prices whose order differs from string order.
    const itemArb = fc.record({
      prefix: fc.constantFrom('', 'x ', 'X-', 'a'),
      suffix: fc.constantFrom('a', 'A', 'b', 'B', 'a b', 'a-b', 'ab', 'a_b', 'é'),
      price: fc.constantFrom(
        '0',
        '0.5',
        '0.50',
        '1',
        '9.99',
        '10',
        '10.00',
        '100',
        '9999999999.99',
      ),
    });
    type ItemSpec = { prefix: string; suffix: string; price: string };

    const create = async (token: string, spec: ItemSpec) =>
      (
        await t.http
          .post('/v1/items')
          .set(owner.auth)
          .send({ name: `${spec.prefix}${token} ${spec.suffix}`, price: spec.price })
          .expect(201)
      ).body as ItemBody;

    /** The ids of the run's items in the database's own order for `sort`. */
    const dbOrder = async (token: string, sort: ItemSort) =>
      (
        await db.query<Array<{ id: string }>>(
          `SELECT id FROM items WHERE name ILIKE $1 ORDER BY ${orderBy(sort)}`,
          [`%${token}%`],
        )
      ).map((r) => r.id);

    const sortArb = fc.constantFrom(...ITEM_SORTS);
    const qCase = fc.constantFrom('lower', 'upper');
    const ids = (items: ItemBody[]) => items.map((i) => i.id);

    it('returns every item exactly once, in the sort order, whatever the sort and page size', async () => {
      await fc.assert(
        fc.asyncProperty(
          sortArb,
          fc.integer({ min: 1, max: 7 }),
          fc.array(itemArb, { maxLength: 25, size: 'max' }),
          qCase,
          async (sort, limit, specs, qc) => {
            const token = newToken();
            // Concurrent creates: created_at ties (same millisecond) happen too.
            const created = await Promise.all(specs.map((s) => create(token, s)));
            // Their events, arriving during a read, would keep that page out of the cache.
            await eventsDelivered(db);
            const q = qc === 'upper' ? token.toUpperCase() : token;
            const { pages, items } = await walk(t, { q, sort, limit });

            const seen = ids(items);
            expect(new Set(seen).size).toBe(seen.length);
            expect([...seen].sort()).toEqual(ids(created).sort());
            expect(seen).toEqual(await dbOrder(token, sort));
            // Full pages until the last; a cursor only when there is more.
            expect(pages).toHaveLength(Math.max(1, Math.ceil(specs.length / limit)));
            pages.forEach((p, k) => {
              const isLast = k === pages.length - 1;
              expect(p.nextCursor === null).toBe(isLast);
              if (!isLast) expect(p.data).toHaveLength(limit);
              expect(p.cache).toBe('MISS');
            });
            // Walking again: every page from the cache, and the same pages.
            const replay = await walk(t, { q, sort, limit });
            expect(replay.pages.map((p) => p.cache)).toEqual(pages.map(() => 'HIT'));
            expect(replay.pages.map(({ data, nextCursor }) => ({ data, nextCursor }))).toEqual(
              pages.map(({ data, nextCursor }) => ({ data, nextCursor })),
            );
          },
        ),
        { numRuns: 15 },
      );
    }, 120_000);

    it('sees every item that existed before the walk exactly once, with items added between pages', async () => {
      await fc.assert(
        fc.asyncProperty(
          sortArb,
          fc.integer({ min: 1, max: 7 }),
          fc.array(itemArb, { maxLength: 25, size: 'max' }),
          fc.array(fc.array(itemArb, { maxLength: 3, size: 'max' }), { maxLength: 6, size: 'max' }),
          async (sort, limit, specs, batches) => {
            const token = newToken();
            const before = ids(await Promise.all(specs.map((s) => create(token, s))));
            await eventsDelivered(db);
            // Cache every page of the listing first.
            await walk(t, { q: token, sort, limit });

            const added: string[] = [];
            const seen: string[] = [];
            let cursor: string | null = null;
            let page = 0;
            do {
              const res = await t.http
                .get('/v1/items')
                .query({ q: token, sort, limit, ...(cursor ? { cursor } : {}) })
                .expect(200);
              const body = res.body as { data: ItemBody[]; nextCursor: string | null };
              // The cached page while nothing was written; a fresh one after any write.
              expect(res.headers['x-cache']).toBe(added.length > 0 ? 'MISS' : 'HIT');
              // The page is what follows the previous page's last item in the current order.
              const order = await dbOrder(token, sort);
              const from = seen.length ? order.indexOf(seen[seen.length - 1]) + 1 : 0;
              expect(ids(body.data)).toEqual(order.slice(from, from + limit));
              expect(body.nextCursor === null).toBe(from + limit >= order.length);
              seen.push(...ids(body.data));
              cursor = body.nextCursor;
              for (const spec of batches[page] ?? []) added.push((await create(token, spec)).id);
              page += 1;
            } while (cursor);

            expect(new Set(seen).size).toBe(seen.length);
            for (const id of before) expect(seen.filter((s) => s === id)).toHaveLength(1);
            for (const id of seen) expect(before.includes(id) || added.includes(id)).toBe(true);
            // In the order of the sort: a subsequence of the final order.
            const final = await dbOrder(token, sort);
            const positions = seen.map((id) => final.indexOf(id));
            expect(positions).toEqual([...positions].sort((a, b) => a - b));
            // A new walk sees the writes: no cached page from before them is served.
            const after = await walk(t, { q: token, sort, limit });
            expect(ids(after.items)).toEqual(final);
            expect(final).toHaveLength(before.length + added.length);
          },
        ),
        { numRuns: 15 },
      );
    }, 120_000);
  });
});
