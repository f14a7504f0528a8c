import {
  countQueries,
  selectsItems,
  signUp,
  startTestApp,
  type SignedIn,
  type TestApp,
} from '@keel/testing';
import { getDataSourceToken } from '@nestjs/typeorm';
import { request, type ClientRequest, type IncomingMessage } from 'node:http';
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

  /** Opens an NDJSON export of the seeded items with plain node:http, paused: nothing is read. */
  const openExport = () =>
    new Promise<{ res: IncomingMessage; req: ClientRequest }>((resolve, reject) => {
      const req = request(`${base}/v1/items/export?format=ndjson&q=${tag}`, {
        headers: user.auth,
      });
      req.on('error', reject);
      req.on('response', (res) => {
        res.pause();
        if (res.statusCode === 200) resolve({ res, req });
        else reject(new Error(`status ${res.statusCode}`));
      });
      req.end();
    });

  /**
   * Polls the query count until it has not moved for `quietMs`, and returns it. The full
   * export takes 11 queries (batches of 1,000); a server that ignored the client would make
   * them all within a few batches' time, far less than the quiet window.
   */
  async function settledCount(count: () => number, quietMs = 3_000): Promise<number> {
    const deadline = Date.now() + 60_000;
    let last = count();
    let since = Date.now();
    while (Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 100));
      if (count() !== last) {
        last = count();
        since = Date.now();
      } else if (Date.now() - since >= quietMs) {
        return last;
      }
    }
    throw new Error(`the export kept querying (${count()} queries)`);
  }

  const matching = async () =>
    Number(
      (
        await db.query<Array<{ n: string }>>(
          'SELECT count(*) AS n FROM items WHERE name ILIKE $1',
          [`%${tag}%`],
        )
      )[0]?.n,
    );
  /**
   * What a client that reads nothing can make the server fetch: the socket's send buffer
   * (at most 4 MiB here, about 2.5 batches of 1.7 MB), the stream's 64 KiB and the batch in hand.
   */
  const MOST_QUERIES_UNREAD = 5;

  it('reads only as fast as the client takes the rows (backpressure), and resumes when it reads', async () => {
    const rows = await matching();
    const selects = countQueries(selectsItems);
    try {
      const { res } = await openExport();
      const stalled = await settledCount(selects.count);
      expect(stalled).toBeGreaterThan(0);
      expect(stalled).toBeLessThanOrEqual(MOST_QUERIES_UNREAD);
      // The client reads again: the reads resume and the export completes, so the stop was
      // the server waiting for the client, not the end of the data.
      let lines = 0;
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        for (const c of chunk) if (c === '\n') lines += 1;
      });
      await new Promise<void>((resolve, reject) => {
        res.on('end', resolve);
        res.on('error', reject);
        res.resume();
      });
      expect(lines).toBe(rows);
      // One query per batch of 1,000 and one that finds the end.
      expect(selects.count()).toBe(Math.floor(rows / 1_000) + 1);
    } finally {
      selects.restore();
    }
  });

  it('stops reading the database when the client goes away', async () => {
    const selects = countQueries(selectsItems);
    try {
      const { res, req } = await openExport();
      // The client takes the first bytes and hangs up.
      await new Promise<void>((resolve) => {
        res.once('data', () => resolve());
        res.resume();
      });
      req.destroy();
      const stopped = await settledCount(selects.count);
      expect(stopped).toBeGreaterThan(0);
      expect(stopped).toBeLessThanOrEqual(MOST_QUERIES_UNREAD);
      await t.http.get('/health/live').expect(200);
    } finally {
      selects.restore();
    }
  });
});
