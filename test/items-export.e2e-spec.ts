import {
  countQueries,
  selectsItems,
  signUp,
  startTestApp,
  type SignedIn,
  type TestApp,
} from '@keel/testing';
import { getDataSourceToken } from '@nestjs/typeorm';
import { request } from 'node:http';
import type { DataSource } from 'typeorm';

interface ExportedItem {
  id: string;
  name: string;
  description: string;
  price: string;
  ownerId: string;
  version: number;
}

/** RFC 4180 rows: quoted fields may hold commas, quotes ("") and line breaks. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      row.push(field);
      field = '';
    } else if (c === '\r' && text[i + 1] === '\n') {
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
      i++;
    } else field += c;
  }
  return rows;
}

describe('items export', () => {
  const TOTAL = 10_000;
  const tag = `export${Date.now()}`;
  let t: TestApp;
  let user: SignedIn;
  let db: DataSource;
  let base: string;

  beforeAll(async () => {
    t = await startTestApp();
    base = await t.listen();
    user = await signUp(t.http);
    db = t.app.get<DataSource>(getDataSourceToken());
    await db.query(
      `INSERT INTO items (id, owner_id, name, description, price)
       SELECT gen_random_uuid(), $1, $2 || ' ' || lpad(i::text, 5, '0'), repeat('d', 1500),
              (i % 500)::numeric / 4
       FROM generate_series(1, $3::int) AS i`,
      [user.id, tag, TOTAL],
    );
  });
  afterAll(async () => {
    await t.close();
  });

  it('streams every matching item as NDJSON in list order', async () => {
    const res = await t.http
      .get('/v1/items/export')
      .query({ format: 'ndjson', q: tag, sort: '-price' })
      .set(user.auth)
      .expect(200);
    expect(res.headers['content-type']).toMatch(/^application\/x-ndjson/);
    expect(res.headers['content-disposition']).toBe('attachment; filename="items.ndjson"');
    const items = res.text
      .trimEnd()
      .split('\n')
      .map((line) => JSON.parse(line) as ExportedItem);
    expect(items).toHaveLength(TOTAL);
    expect(new Set(items.map((i) => i.id)).size).toBe(TOTAL);
    const expected = await db.query<Array<{ id: string }>>(
      `SELECT id FROM items WHERE name ILIKE $1 ORDER BY price DESC, id DESC`,
      [`%${tag}%`],
    );
    expect(items.map((i) => i.id)).toEqual(expected.map((r) => r.id));
    expect(items[0]).toMatchObject({ ownerId: user.id, version: 1, price: '124.75' });
  });

  it('writes CSV that round-trips commas, quotes and line breaks', async () => {
    const tricky = {
      name: `${tag} "quoted", with comma`,
      description: 'line one\r\nline two, "and quotes"',
      price: '3.50',
    };
    const created = (await t.http.post('/v1/items').set(user.auth).send(tricky).expect(201))
      .body as ExportedItem;
    const res = await t.http
      .get('/v1/items/export')
      .query({ q: tag, sort: 'createdAt' })
      .set(user.auth)
      .expect(200);
    expect(res.headers['content-type']).toMatch(/^text\/csv/);
    const [header, ...rows] = parseCsv(res.text);
    expect(header).toEqual([
      'id',
      'name',
      'description',
      'price',
      'ownerId',
      'version',
      'createdAt',
      'updatedAt',
    ]);
    expect(rows).toHaveLength(TOTAL + 1);
    const row = rows.find((r) => r[0] === created.id);
    expect(row?.slice(1, 4)).toEqual([tricky.name, tricky.description, tricky.price]);
  });

  it('needs a signed-in user and valid parameters', async () => {
    await t.http.get('/v1/items/export').expect(401);
    for (const bad of ['format=xml', 'sort=owner', 'limit=5', 'cursor=x']) {
      await t.http.get(`/v1/items/export?${bad}`).set(user.auth).expect(400);
    }
  });

  it('stops reading the database when the client goes away', async () => {
    const selects = countQueries(db, selectsItems);
    try {
      await new Promise<void>((resolve, reject) => {
        const req = request(`${base}/v1/items/export?format=ndjson&q=${tag}`, {
          headers: user.auth,
        });
        req.on('error', () => resolve());
        req.on('response', (res) => {
          if (res.statusCode !== 200) reject(new Error(`status ${res.statusCode}`));
          res.once('data', () => {
            // The client has the first bytes and hangs up.
            req.destroy();
            resolve();
          });
        });
        req.end();
      });
      await new Promise((r) => setTimeout(r, 1_000));
      // 10 batches (about 17 MB) make the whole export. A client gone after the first bytes
      // costs what the socket buffers took before backpressure paused the reads.
      expect(selects.count()).toBeGreaterThan(0);
      expect(selects.count()).toBeLessThan(8);
      await t.http.get('/health/live').expect(200);
    } finally {
      selects.restore();
    }
  });
});
