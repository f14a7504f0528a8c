import {
  createItem,
  finishedJob,
  getJob,
  itemsCsv,
  jobWhen,
  openEventStream,
  signInAdmin,
  signUp,
  startImport,
  startTestApp,
  walkPages,
  type JobBody,
  type SignedIn,
  type TestApp,
} from '@keel/testing';
import { getDataSourceToken } from '@nestjs/typeorm';
import { request } from 'node:http';
import type { DataSource } from 'typeorm';

interface ItemBody {
  name: string;
  price: string;
  description: string;
  ownerId: string;
}

describe('Item imports (background jobs)', () => {
  let t: TestApp;
  let alice: SignedIn;
  let db: DataSource;
  let url: string;

  beforeAll(async () => {
    // Small batches, so a test file spans many checkpoints.
    t = await startTestApp({ IMPORT_BATCH_ROWS: '50', IMPORT_MAX_BYTES: '12000000' });
    db = t.app.get<DataSource>(getDataSourceToken());
    alice = await signUp(t.http);
    url = await t.listen();
  });
  afterAll(() => t.close());

  const itemsNamed = async (prefix: string) =>
    (
      await db.query<Array<{ name: string }>>(`SELECT name FROM items WHERE name LIKE $1`, [
        `${prefix} %`,
      ])
    ).map((r) => r.name);
  const uploadsLeft = async (jobId: string) =>
    Number(
      (
        await db.query<Array<{ n: string }>>(
          'SELECT count(*) AS n FROM job_uploads WHERE job_id = $1',
          [jobId],
        )
      )[0].n,
    );

  it('imports a CSV: 202 with Location, progress to 100, rows stored for the uploader', async () => {
    const res = await t.http
      .post('/v1/items/imports')
      .set(alice.auth)
      .set('content-type', 'text/csv; charset=utf-8')
      .send(itemsCsv(420, 'Csv'))
      .expect(202);
    const accepted = res.body as JobBody;
    expect(res.headers.location).toBe(`/v1/jobs/${accepted.id}`);
    expect(accepted).toMatchObject({ type: 'items.import', state: 'queued', ownerId: alice.id });

    const job = await finishedJob(t.http, alice, accepted.id);
    expect(job).toMatchObject({
      reason: null,
      state: 'succeeded',
      progress: 100,
      processed: 420,
      succeeded: 420,
      failed: 0,
      errors: [],
      attempts: 1,
    });
    const names = await itemsNamed('Csv');
    expect(new Set(names).size).toBe(420);
    const { items } = await walkPages<ItemBody>(t.http, '/v1/items', { q: 'Csv 42', limit: 100 });
    expect(items.map((i) => i.name).sort()).toEqual(['Csv 42', 'Csv 420']);
    expect(items[0]).toMatchObject({
      ownerId: alice.id,
      description: expect.stringMatching(/^Item number 42/),
    });
    // The upload is deleted once the job has ended.
    expect(await uploadsLeft(job.id)).toBe(0);
  });

  it('records one item.imported event per batch, in the outbox, with every id it inserted', async () => {
    const accepted = await startImport(t.http, alice, itemsCsv(120, 'Evented'));
    await finishedJob(t.http, alice, accepted.id);
    const admin = await signInAdmin(t.http);
    const { data } = (
      await t.http
        .get('/v1/events')
        .query({ aggregateId: accepted.id, type: 'item.imported' })
        .set(admin.auth)
        .expect(200)
    ).body as { data: Array<{ actorId: string; data: { count: number; ids: string[] } }> };
    // 120 rows in batches of 50.
    expect(data.map((e) => e.data.count).sort()).toEqual([20, 50, 50]);
    expect(data.every((e) => e.actorId === alice.id && e.data.ids.length === e.data.count)).toBe(
      true,
    );
    const stored = await db.query<Array<{ id: string }>>(
      `SELECT id FROM items WHERE name LIKE 'Evented %'`,
    );
    expect(data.flatMap((e) => e.data.ids).sort()).toEqual(stored.map((r) => r.id).sort());
  });

  it('checks each row like POST /v1/items and reports refused rows by line, storing the rest', async () => {
    const csv = [
      'Description,NAME,price', // any order, any case
      'plain,Good 1,12.5',
      '"with, comma and ""quotes""","Good 2",3',
      '"two',
      'lines","Good 3",0',
      ',Bad 1,12.345', // three decimals
      ',Bad 2,-1',
      ',Bad 3,abc',
      ',,1', // empty name
      ',Bad 4', // too few fields
      'x,Bad 5,1,extra', // too many
      'x,"Bad 6"y,1', // text after a closing quote
      'x,Bad "7",1', // a quote inside an unquoted field
      '',
      `${'d'.repeat(2001)},Bad 8,1`, // description too long
      ',Good 4,9999999999.99',
    ].join('\r\n');
    const job = await finishedJob(t.http, alice, (await startImport(t.http, alice, csv)).id);
    expect(job).toMatchObject({ state: 'succeeded', processed: 13, succeeded: 4, failed: 9 });
    expect(job.errors.map((e) => e.line)).toEqual([6, 7, 8, 9, 10, 11, 12, 13, 15]);
    const byLine = Object.fromEntries(job.errors.map((e) => [e.line, e.message]));
    expect(byLine[6]).toMatch(/price must be a decimal string/);
    expect(byLine[9]).toMatch(/name must be longer than or equal to 1 characters/);
    expect(byLine[10]).toBe('expected 3 fields (description, name, price), found 2');
    expect(byLine[11]).toBe('expected 3 fields (description, name, price), found 4');
    expect(byLine[12]).toMatch(/closing quote must be followed by a comma/);
    expect(byLine[13]).toMatch(/quote must be quoted/);
    expect(byLine[15]).toMatch(/description must be shorter than or equal to 2000 characters/);
    const stored = await db.query<Array<{ name: string; description: string; price: string }>>(
      `SELECT name, description, price::text AS price FROM items WHERE name LIKE 'Good %' ORDER BY name`,
    );
    expect(stored).toEqual([
      { name: 'Good 1', description: 'plain', price: '12.50' },
      { name: 'Good 2', description: 'with, comma and "quotes"', price: '3.00' },
      { name: 'Good 3', description: 'two\r\nlines', price: '0.00' },
      { name: 'Good 4', description: '', price: '9999999999.99' },
    ]);
    expect(await itemsNamed('Bad')).toEqual([]);
  });

  it('imports NDJSON with the same rules: a JSON number as price, unknown fields and bad JSON are refused', async () => {
    const ndjson = [
      JSON.stringify({ name: 'Nd 1', price: '1.00' }),
      JSON.stringify({ name: 'Nd 2', price: '2', description: 'two' }),
      JSON.stringify({ name: 'Nd bad 1', price: 3 }),
      JSON.stringify({ name: 'Nd bad 2', price: '1', sku: 'x' }),
      '{"name": "Nd bad 3",',
      '[1,2]',
      '   ',
      JSON.stringify({ name: 'Nd 3', price: '3.3' }),
    ].join('\n');
    const job = await finishedJob(
      t.http,
      alice,
      (await startImport(t.http, alice, ndjson, 'application/x-ndjson')).id,
    );
    expect(job).toMatchObject({ state: 'succeeded', processed: 7, succeeded: 3, failed: 4 });
    expect(job.errors).toEqual([
      { line: 3, message: expect.stringMatching(/price must be a decimal string/) },
      { line: 4, message: 'property sku should not exist' },
      { line: 5, message: expect.stringMatching(/^not valid JSON/) },
      { line: 6, message: 'each line must be a JSON object' },
    ]);
    expect((await itemsNamed('Nd')).sort()).toEqual(['Nd 1', 'Nd 2', 'Nd 3']);
  });

  it.each(['csv', 'ndjson'])(
    'imports its own export (%s) as it is: the same items, new ids, owned by the importer',
    async (format) => {
      const prefix = `Trip ${format}`;
      const originals = [
        { name: `${prefix} plain`, price: '249.90' },
        { name: `${prefix} "quoted", comma`, price: '0.00', description: 'two\r\nlines, "x"' },
        { name: `${prefix} Äpfel €`, price: '9999999999.99', description: 'ü' },
      ];
      for (const fields of originals) await createItem(t.http, alice, fields);
      const exported = await t.http
        .get('/v1/items/export')
        .query({ format, q: prefix, sort: 'name' })
        .set(alice.auth)
        .buffer(true)
        .parse((res, done) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => done(null, Buffer.concat(chunks)));
        })
        .expect(200);
      const file = exported.body as Buffer;
      if (format === 'csv') {
        expect(file.toString().split('\r\n')[0]).toBe(
          'id,name,description,price,ownerId,version,createdAt,updatedAt',
        );
      }

      const bob = await signUp(t.http);
      const type = format === 'csv' ? 'text/csv' : 'application/x-ndjson';
      const job = await finishedJob(t.http, bob, (await startImport(t.http, bob, file, type)).id);
      expect(job).toMatchObject({ state: 'succeeded', reason: null, succeeded: 3, failed: 0 });

      const rows = await db.query<
        Array<{ id: string; name: string; description: string; price: string; owner: string }>
      >(
        `SELECT id, name, description, price::text AS price, owner_id AS owner
           FROM items WHERE name LIKE $1 ORDER BY name, owner_id`,
        [`${prefix} %`],
      );
      const expected = originals
        .map((o) => ({ name: o.name, description: o.description ?? '', price: o.price }))
        .sort((a, b) => (a.name < b.name ? -1 : 1));
      const imported = rows.filter((r) => r.owner === bob.id);
      const source = rows.filter((r) => r.owner === alice.id);
      expect(
        imported.map(({ name, description, price }) => ({ name, description, price })),
      ).toEqual(expected);
      expect(source).toHaveLength(3);
      // The export's ids and owner were ignored: these are new rows, not overwrites.
      expect(imported.filter((r) => source.some((o) => o.id === r.id))).toEqual([]);
    },
  );

  it('refuses a 10 MB line with its line number and imports the lines around it', async () => {
    const csv = `name,price\nLong 1,1\nLong 2,${'9'.repeat(10 * 1024 * 1024)}\nLong 3,3\n`;
    const job = await finishedJob(t.http, alice, (await startImport(t.http, alice, csv)).id);
    expect(job).toMatchObject({ state: 'succeeded', processed: 3, succeeded: 2, failed: 1 });
    expect(job.errors).toEqual([
      { line: 3, message: expect.stringMatching(/longer than 1048576 bytes/) },
    ]);
    expect((await itemsNamed('Long')).sort()).toEqual(['Long 1', 'Long 3']);
  });

  it('reports an unclosed quote at the end of the file on its line', async () => {
    const job = await finishedJob(
      t.http,
      alice,
      (await startImport(t.http, alice, 'name,price\nQuote 1,1\n"Quote 2,2\nQuote 3,3\n')).id,
    );
    expect(job).toMatchObject({ state: 'succeeded', succeeded: 1, failed: 1 });
    expect(job.errors).toEqual([
      { line: 3, message: 'a quoted field is not closed before the end of the file' },
    ]);
  });

  it.each([
    ['an unknown column', 'name,price,colour\nA,1,red\n', /Unknown column "colour"/],
    ['a missing column', 'name,description\nA,x\n', /The header lacks price/],
    ['a repeated column', 'name,price,name\nA,1,B\n', /appears twice/],
    ['a header and no rows', 'name,price\n\n', /no rows/],
    ['only blank lines', '\n\n\n', /empty: a CSV import needs a header row/],
    [
      'a binary file',
      Buffer.from([0x50, 0x4b, 0x03, 0x04, 0x00, 0x00, 0x0a, 0xff]),
      /not text: line 1 holds a NUL byte/,
    ],
    [
      'invalid UTF-8',
      Buffer.concat([Buffer.from('name,price\nA,1\n'), Buffer.from([0xc3, 0x28, 0x0a])]),
      /not UTF-8 text \(line 3\)/,
    ],
  ])('fails the job with a clear reason for %s, storing nothing', async (_what, body, reason) => {
    const before = Number(
      (await db.query<Array<{ n: string }>>('SELECT count(*) AS n FROM items'))[0].n,
    );
    const job = await finishedJob(t.http, alice, (await startImport(t.http, alice, body)).id);
    expect(job.state).toBe('failed');
    expect(job.reason).toMatch(reason);
    expect(
      Number((await db.query<Array<{ n: string }>>('SELECT count(*) AS n FROM items'))[0].n),
    ).toBe(before);
    expect(await uploadsLeft(job.id)).toBe(0);
  });

  it('answers 400 for an empty body, 415 for other types, 401 without a token', async () => {
    const empty = await t.http
      .post('/v1/items/imports')
      .set(alice.auth)
      .set('content-type', 'text/csv')
      .send('');
    expect(empty.status).toBe(400);
    expect(empty.headers['content-type']).toMatch(/application\/problem\+json/);
    const json = await t.http.post('/v1/items/imports').set(alice.auth).send({ name: 'x' });
    expect(json.status).toBe(415);
    expect(json.body).toMatchObject({ code: 'REQUEST.UNSUPPORTED_MEDIA_TYPE' });
    // The streamed types are accepted only where a route reads the stream.
    const elsewhere = await t.http
      .post('/v1/items')
      .set(alice.auth)
      .set('content-type', 'text/csv')
      .send('name,price\nA,1\n');
    expect(elsewhere.status).toBe(415);
    await t.http
      .post('/v1/items/imports')
      .set('content-type', 'text/csv')
      .send('name,price\n')
      .expect(401);
    const jobs = await db.query<Array<{ n: string }>>(
      `SELECT count(*) AS n FROM jobs WHERE state = 'queued'`,
    );
    expect(Number(jobs[0].n)).toBe(0);
  });

  it('answers 413 beyond IMPORT_MAX_BYTES, with or without Content-Length, and keeps nothing', async () => {
    const big = Buffer.alloc(12_500_000, 'a');
    const declared = await t.http
      .post('/v1/items/imports')
      .set(alice.auth)
      .set('content-type', 'text/csv')
      .send(big);
    expect(declared.status).toBe(413);
    expect(declared.body).toMatchObject({ code: 'UPLOAD.TOO_LARGE' });

    // Chunked: the limit is found while streaming, and what was stored is removed.
    const jobsBefore = await db.query('SELECT id FROM jobs');
    const status = await new Promise<number>((resolve, reject) => {
      const req = request(`${url}/v1/items/imports`, {
        method: 'POST',
        headers: { ...alice.auth, 'content-type': 'text/csv', 'transfer-encoding': 'chunked' },
      });
      req.on('response', (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on('error', reject);
      for (let i = 0; i < 25; i++) req.write(big.subarray(i * 500_000, (i + 1) * 500_000));
      req.end();
    });
    expect(status).toBe(413);
    expect(await db.query('SELECT DISTINCT job_id FROM job_uploads')).toEqual([]);
    expect(await db.query('SELECT id FROM jobs')).toEqual(jobsBefore);
  });

  it('cancels a running import: rows committed before stay, none after; an ended job cannot be cancelled', async () => {
    const { id } = await startImport(t.http, alice, itemsCsv(20_000, 'Cancel'));
    await jobWhen(t.http, alice, id, (job) => job.processed > 0, 30_000);
    const res = await t.http.delete(`/v1/jobs/${id}`).set(alice.auth).expect(200);
    expect(res.body).toMatchObject({ id, state: 'cancelled', reason: 'Cancelled by its owner.' });
    await new Promise((r) => setTimeout(r, 1_000));
    const after = await getJob(t.http, alice, id);
    expect(after.state).toBe('cancelled');
    const stored = (await itemsNamed('Cancel')).length;
    expect(stored).toBe(after.succeeded);
    expect(stored).toBeLessThan(20_000);
    const again = await t.http.delete(`/v1/jobs/${id}`).set(alice.auth).expect(409);
    expect(again.body).toMatchObject({ code: 'JOB.FINISHED' });
    expect(await uploadsLeft(id)).toBe(0);
  });

  it('shows jobs to their owner and admins only; lists newest first', async () => {
    const bob = await signUp(t.http);
    const admin = await signInAdmin(t.http);
    const job = await finishedJob(
      t.http,
      bob,
      (await startImport(t.http, bob, itemsCsv(3, 'Bob'))).id,
    );
    await t.http.get(`/v1/jobs/${job.id}`).set(alice.auth).expect(404);
    await t.http.delete(`/v1/jobs/${job.id}`).set(alice.auth).expect(404);
    await t.http.get(`/v1/jobs/${job.id}`).set(admin.auth).expect(200);
    await t.http.get('/v1/jobs/not-a-uuid').set(bob.auth).expect(400);

    const second = await finishedJob(
      t.http,
      bob,
      (await startImport(t.http, bob, itemsCsv(1, 'Bob2'))).id,
    );
    const own = await t.http.get('/v1/jobs').query({ limit: 1 }).set(bob.auth).expect(200);
    expect((own.body as { data: JobBody[] }).data.map((j) => j.id)).toEqual([second.id]);
    const next = await t.http
      .get('/v1/jobs')
      .query({ limit: 1, cursor: (own.body as { nextCursor: string }).nextCursor })
      .set(bob.auth)
      .expect(200);
    expect((next.body as { data: JobBody[] }).data.map((j) => j.id)).toEqual([job.id]);
    const ids = async (who: SignedIn) =>
      (
        (await t.http.get('/v1/jobs').query({ limit: 100 }).set(who.auth).expect(200)).body as {
          data: JobBody[];
        }
      ).data.map((j) => j.id);
    expect(await ids(admin)).toEqual(expect.arrayContaining([job.id, second.id]));
    expect(await ids(alice)).not.toContain(job.id);
  });

  it('publishes job events to the owner’s stream: queued, running, imported ids and progress per batch, succeeded', async () => {
    const stream = await openEventStream(`${url}/v1/events/stream`, alice.auth);
    const other = await signUp(t.http);
    const otherStream = await openEventStream(`${url}/v1/events/stream`, other.auth);
    try {
      const { id } = await startImport(t.http, alice, itemsCsv(120, 'Ev'));
      const done = await stream.next(
        (e) => e.data.aggregateId === id && e.data.type === 'job.succeeded',
      );
      const types = stream.events.filter((e) => e.data.aggregateId === id).map((e) => e.data.type);
      // 120 rows in batches of 50: three batches, each with its ids and its progress.
      expect(types).toEqual([
        'job.queued',
        'job.running',
        'item.imported',
        'job.progress',
        'item.imported',
        'job.progress',
        'item.imported',
        'job.progress',
        'job.succeeded',
      ]);
      const imported = stream.events
        .filter((e) => e.data.aggregateId === id && e.data.type === 'item.imported')
        .map((e) => (e.data.data as { ids: string[] }).ids.length);
      expect(imported).toEqual([50, 50, 20]);
      const progress = stream.events
        .filter((e) => e.data.aggregateId === id && e.data.type === 'job.progress')
        .map((e) => (e.data.data as { job: JobBody }).job);
      expect(progress.map((j) => j.processed)).toEqual([50, 100, 120]);
      expect(progress.map((j) => j.progress)).toEqual(
        [...progress.map((j) => j.progress)].sort((a, b) => a - b),
      );
      expect(done.data.data).toMatchObject({
        job: { state: 'succeeded', progress: 100, succeeded: 120 },
      });
      expect(otherStream.events.filter((e) => e.data.aggregateId === id)).toEqual([]);
    } finally {
      stream.close();
      otherStream.close();
    }
  });
});
