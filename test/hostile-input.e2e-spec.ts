import { encodeCursor } from '@keel/core';
import {
  finishedJob,
  signInAdmin,
  signUp,
  startImport,
  startTestApp,
  type SignedIn,
  type TestApp,
} from '@keel/testing';
import { Logger } from '@nestjs/common';
import { getDataSourceToken } from '@nestjs/typeorm';
import { get } from 'node:http';
import { connect } from 'node:net';
import type { DataSource } from 'typeorm';

const PROBLEM = /^application\/problem\+json/;
const UUID = '01a2054c-1a73-7cba-9aa7-33fe19f4d478';

/** Sends raw bytes and collects everything the server answers until it closes the connection. */
function rawRequest(base: string, bytes: string | Buffer): Promise<string> {
  const { hostname, port } = new URL(base);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname, () => socket.end(bytes));
    const chunks: Buffer[] = [];
    socket.setTimeout(10_000, () => socket.destroy(new Error('no answer in 10 s')));
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('error', reject);
    socket.on('close', () => resolve(Buffer.concat(chunks).toString('latin1')));
  });
}

/** The status, headers and JSON body of the first response in a raw answer. */
function parseRaw(answer: string) {
  const [head = '', body = ''] = answer.split('\r\n\r\n');
  const [statusLine = '', ...lines] = head.split('\r\n');
  const headers = Object.fromEntries(
    lines.map((l) => [
      l.slice(0, l.indexOf(':')).toLowerCase(),
      l.slice(l.indexOf(':') + 1).trim(),
    ]),
  );
  return { status: Number(statusLine.split(' ')[1]), headers, body: JSON.parse(body) as unknown };
}

function nested(depth: number): string {
  return `${'['.repeat(depth)}${']'.repeat(depth)}`;
}

describe('hostile input', () => {
  let t: TestApp;
  let base: string;
  let user: SignedIn;
  let admin: SignedIn;

  beforeAll(async () => {
    t = await startTestApp();
    base = await t.listen();
    user = await signUp(t.http);
    admin = await signInAdmin(t.http);
  });
  afterAll(async () => {
    await t.close();
  });

  describe('JSON bodies are bounded before anything walks them', () => {
    it.each([
      ['1,500 levels of arrays', `{"email":${nested(1_500)}}`, 'nests deeper than 32 levels'],
      ['33 levels of objects', `{"email":${'{"a":'.repeat(33)}1${'}'.repeat(33)}}`, 'deeper'],
      [
        '50,000 unknown keys',
        `{${Array.from({ length: 50_000 }, (_, i) => `"k${i}":1`).join(',')}}`,
        'more than 10000 members and items',
      ],
      ['20,000 array items', `{"email":[${'0,'.repeat(19_999)}0]}`, 'more than 10000'],
    ])('refuses %s on an unauthenticated route with 400', async (_name, body, limit) => {
      for (const path of ['/v1/auth/login', '/v1/auth/register']) {
        const res = await t.http.post(path).set('content-type', 'application/json').send(body);
        expect(res.status).toBe(400);
        expect(res.headers['content-type']).toMatch(PROBLEM);
        expect(res.body).toMatchObject({ code: 'REQUEST.BODY_TOO_COMPLEX' });
        expect(res.body.detail).toContain(limit);
      }
    });

    it('accepts a body at the limits and counts nothing inside strings', async () => {
      // 31 levels inside the body's own object, and brackets and commas inside a string.
      const res = await t.http
        .post('/v1/auth/login')
        .set('content-type', 'application/json')
        .send(`{"email":${nested(31)},"password":"${'[{,'.repeat(20_000)}\\"[["}`);
      expect(res.status).toBe(400);
      expect(res.body.code).toBe('REQUEST.VALIDATION_FAILED');
    });

    it('keeps /health/live answering while wide and deep bodies arrive', async () => {
      const wide = `{${Array.from({ length: 50_000 }, (_, i) => `"k${i}":1`).join(',')}}`;
      const deep = `{"email":${nested(400_000)}}`;
      const sending = [wide, deep, wide, deep].map((body) =>
        t.http.post('/v1/auth/login').set('content-type', 'application/json').send(body),
      );
      let slowest = 0;
      let done = false;
      const probing = (async () => {
        while (!done) {
          const started = Date.now();
          await t.http.get('/health/live').expect(200);
          slowest = Math.max(slowest, Date.now() - started);
        }
      })();
      const answers = await Promise.all(sending);
      done = true;
      await probing;
      expect(answers.map((a) => a.status)).toEqual([400, 400, 400, 400]);
      // Generous for a shared two-core machine; unbounded bodies held it for seconds.
      expect(slowest).toBeLessThan(1_500);
    });
  });

  describe('every string that enters is well-formed Unicode without NUL', () => {
    const BAD = [
      ['NUL', 'a\u0000b'],
      ['a lone surrogate', 'a\ud800b'],
    ] as const;

    it.each(BAD)('refuses %s in body fields, naming the field', async (_name, bad) => {
      const cases: Array<[string, string, Record<string, unknown>, Record<string, string>]> = [
        [
          '/v1/auth/register',
          'displayName',
          { email: 'new-user@keel.test', password: 'password-long', displayName: bad },
          {},
        ],
        [
          '/v1/auth/register',
          'email',
          { email: `x${bad}@keel.test`, password: 'password-long', displayName: 'X' },
          {},
        ],
        ['/v1/auth/login', 'email', { email: `x${bad}@keel.test`, password: 'password' }, {}],
        ['/v1/items', 'name', { name: bad, price: '1.00' }, user.auth],
        ['/v1/items', 'description', { name: 'n', description: bad, price: '1.00' }, user.auth],
      ];
      for (const [path, field, body, headers] of cases) {
        const res = await t.http.post(path).set(headers).send(body);
        expect([path, field, res.status]).toEqual([path, field, 400]);
        expect(res.headers['content-type']).toMatch(PROBLEM);
        expect(res.body.errors).toEqual([{ field, message: expect.stringContaining(field) }]);
      }
    });

    it.each(BAD)('refuses %s in nested values and keys', async (_name, bad) => {
      const res = await t.http
        .patch('/v1/users/me')
        .set(user.auth)
        .send({ displayName: 'ok', extra: { list: ['fine', bad] } });
      expect(res.status).toBe(400);
      expect(res.body.errors).toEqual([{ field: 'extra.list[1]', message: expect.any(String) }]);
      const key = await t.http
        .patch('/v1/users/me')
        .set(user.auth)
        .send({ [`k${bad}`]: 1 });
      expect(key.status).toBe(400);
      expect(key.body.errors[0].field).toBe(`k${bad}`);
    });

    // Percent-decoding UTF-8 cannot make a lone surrogate (invalid bytes stay as they were
    // sent), so NUL is what a URL can smuggle in.
    it('refuses NUL in query and path parameters, naming the parameter', async () => {
      const cases: Array<[string, string, Record<string, string>]> = [
        ['/v1/items?q=a%00', 'q', {}],
        ['/v1/items?cursor=a%00', 'cursor', {}],
        ['/v1/items/export?q=%00', 'q', user.auth],
        ['/v1/events?aggregateId=%00', 'aggregateId', admin.auth],
        ['/v1/items/%00', 'id', {}],
      ];
      for (const [url, field, headers] of cases) {
        const res = await t.http.get(url).set(headers);
        expect([url, res.status]).toEqual([url, 400]);
        expect(res.headers['content-type']).toMatch(PROBLEM);
        expect(res.body.errors).toEqual([{ field, message: expect.any(String) }]);
      }
    });
  });

  it('refuses an imported row with NUL or a lone surrogate, naming the field', async () => {
    const ndjson = [
      { name: 'fine row', price: '1.00' },
      { name: 'nul\u0000row', price: '1.00' },
      { name: 'ok', description: 'lone \ud800', price: '1.00' },
      { name: 'ok', price: '1.00', toString: 'x' },
    ]
      .map((row) => JSON.stringify(row))
      .join('\n');
    const { id } = await startImport(t.http, user, ndjson, 'application/x-ndjson');
    const job = await finishedJob(t.http, user, id);
    expect(job).toMatchObject({ state: 'succeeded', succeeded: 1, failed: 3 });
    expect(job.errors).toEqual([
      { line: 2, message: expect.stringContaining('name must be well-formed') },
      { line: 3, message: expect.stringContaining('description must be well-formed') },
      { line: 4, message: 'property toString should not exist' },
    ]);
  });

  describe('cursors', () => {
    const createdAtCursor = (value: unknown) => encodeCursor(['createdAt', value as string, UUID]);

    it.each([
      '1',
      'x 1',
      '2020-02-30',
      '2020-02-30T00:00:00.000Z',
      '+275760-09-13T00:00:00.000Z',
      '-271821-04-20T00:00:00.000Z',
      '0000-01-01T00:00:00.000Z',
      '2026-01-01',
    ])('refuses a forged createdAt cursor %p with 400', async (value) => {
      const res = await t.http
        .get('/v1/items')
        .query({ sort: 'createdAt', cursor: createdAtCursor(value) });
      expect(res.status).toBe(400);
      expect(res.body.errors).toEqual([{ field: 'cursor', message: expect.any(String) }]);
    });

    it.each(['2020-W01', '-4714-01-01', '0000-01-01T00:00:00Z', '2020-02-30T00:00:00Z'])(
      'refuses the events filter timestamp %p with 400',
      async (value) => {
        const res = await t.http.get('/v1/events').query({ from: value }).set(admin.auth);
        expect(res.status).toBe(400);
        expect(res.body.errors).toEqual(
          expect.arrayContaining([{ field: 'from', message: expect.any(String) }]),
        );
      },
    );

    it('refuses a name cursor holding NUL and accepts a genuine one', async () => {
      const nul = encodeCursor(['name', 'a\u0000', UUID]);
      await t.http.get('/v1/items').query({ sort: 'name', cursor: nul }).expect(400);
      const real = createdAtCursor('2026-01-01T00:00:00.000Z');
      await t.http.get('/v1/items').query({ sort: 'createdAt', cursor: real }).expect(200);
    });
  });

  it.each(['hasOwnProperty', 'toString', 'constructor', 'valueOf', 'isPrototypeOf'])(
    'refuses an unknown field named %s like any other unknown field',
    async (field) => {
      const cases: Array<[string, string, Record<string, unknown>]> = [
        ['post', '/v1/items', { name: 'n', price: '1.00', [field]: 'x' }],
        ['patch', '/v1/users/me', { displayName: 'ok', [field]: { nested: true } }],
        ['get', `/v1/items?${field}=1`, {}],
      ];
      for (const [method, path, body] of cases) {
        const res =
          method === 'get'
            ? await t.http.get(path)
            : await t.http[method as 'post' | 'patch'](path).set(user.auth).send(body);
        expect([path, res.status]).toEqual([path, 400]);
        expect(res.body.errors).toEqual([{ field, message: `property ${field} should not exist` }]);
      }
    },
  );

  describe('errors raised before the application are problem+json with a request id', () => {
    function expectProblem(answer: string, status: number) {
      const { status: got, headers, body } = parseRaw(answer);
      expect(got).toBe(status);
      expect(headers['content-type']).toMatch(PROBLEM);
      expect(headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
      expect(body).toMatchObject({ status, requestId: headers['x-request-id'] });
    }

    it.each([
      ['bad header bytes', 'GET /health/live HTTP/1.1\r\nHost: x\r\nBad\u0001Name: 1\r\n\r\n'],
      [
        'Content-Length with Transfer-Encoding',
        'POST /v1/auth/login HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n',
      ],
      [
        'a length that lies (shorter than the body)',
        'POST /v1/auth/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}garbage that is no request line\r\n\r\n',
      ],
      ['a bad request line', 'GET /health/live HTTP/9.x\r\nHost: x\r\n\r\n'],
      ['a request line of garbage', '\u0000\u0001\u0002 nonsense\r\n\r\n'],
      ['an HTTP/1.1 request without Host', 'GET /health/live HTTP/1.1\r\n\r\n'],
    ])('%s: 400', async (_name, bytes) => {
      const answer = await rawRequest(base, bytes);
      // A lying length first gets the answer to the request it delimits.
      const starts = [...answer.matchAll(/HTTP\/1\.1 \d{3} /g)].map((m) => m.index);
      const last = answer.slice(starts[starts.length - 1]);
      expectProblem(last, 400);
    });

    it('headers larger than accepted: 431', async () => {
      const answer = await rawRequest(
        base,
        `GET /health/live HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`,
      );
      expectProblem(answer, 431);
    });

    it('a URL longer than the headers allow: 431', async () => {
      const answer = await rawRequest(
        base,
        `GET /v1/items?q=${'a'.repeat(20_000)} HTTP/1.1\r\nHost: x\r\n\r\n`,
      );
      expectProblem(answer, 431);
    });

    it('an over-long path parameter: 414, and a malformed percent-encoding: 400', async () => {
      const long = await t.http
        .get(`/v1/items/${'a'.repeat(200)}`)
        .set('x-request-id', 'long-1234');
      expect(long.status).toBe(414);
      expect(long.headers['content-type']).toMatch(PROBLEM);
      expect(long.body).toMatchObject({ status: 414, requestId: 'long-1234' });
      expect(long.headers['x-request-id']).toBe('long-1234');
      const bad = await t.http.get('/v1/items/%FF');
      expect(bad.status).toBe(400);
      expect(bad.headers['content-type']).toMatch(PROBLEM);
      expect(bad.body.requestId).toBe(bad.headers['x-request-id']);
      expect(bad.headers['x-content-type-options']).toBe('nosniff');
    });

    it('an unknown route: 404 problem+json with the request id', async () => {
      const res = await t.http.get('/nothing/here').expect(404);
      expect(res.headers['content-type']).toMatch(PROBLEM);
      expect(res.body.requestId).toBe(res.headers['x-request-id']);
    });
  });

  describe('export', () => {
    let db: DataSource;
    const tag = `hostile-export-${Date.now()}`;

    beforeAll(() => {
      db = t.app.get<DataSource>(getDataSourceToken());
    });
    afterEach(async () => {
      await db.query(`DELETE FROM items WHERE name LIKE $1`, [`${tag}%`]);
    });

    /** Items named after the tag; the last one (created latest) cannot be written out. */
    async function seed(good: number) {
      await db.query(
        `INSERT INTO items (id, owner_id, name, price, created_at)
         SELECT gen_random_uuid(), $1, $2 || lpad(i::text, 5, '0'), 1, now() - make_interval(secs => $3 - i)
         FROM generate_series(1, $3::int) AS i`,
        [user.id, tag, good],
      );
      await db.query(
        `INSERT INTO items (id, owner_id, name, price, created_at, updated_at)
         VALUES (gen_random_uuid(), $1, $2 || 'broken', 1, now() + interval '1 hour', 'infinity')`,
        [user.id, tag],
      );
    }

    it('checks everything it can before the first byte', async () => {
      await seed(3);
      const res = await t.http
        .get('/v1/items/export')
        .query({ q: tag, sort: 'createdAt' })
        .set(user.auth);
      expect(res.status).toBe(500);
      expect(res.headers['content-type']).toMatch(PROBLEM);
    });

    it('logs a failure after the first byte with the request id and cuts the response', async () => {
      await seed(1_000);
      const logged = jest.spyOn(Logger.prototype, 'error');
      try {
        const outcome = await new Promise<{ status: number; id: string; error?: Error }>(
          (resolve) => {
            const req = get(
              `${base}/v1/items/export?sort=createdAt&q=${tag}`,
              { headers: user.auth },
              (res) => {
                const id = String(res.headers['x-request-id']);
                res.on('data', () => undefined);
                res.on('error', (error) => resolve({ status: res.statusCode ?? 0, id, error }));
                res.on('end', () => resolve({ status: res.statusCode ?? 0, id }));
              },
            );
            req.on('error', (error) => resolve({ status: 0, id: '', error }));
          },
        );
        expect(outcome.status).toBe(200);
        // Not a clean end: a truncated export must not look complete.
        expect(outcome.error).toBeDefined();
        expect(logged).toHaveBeenCalledWith(
          expect.objectContaining({ requestId: outcome.id }),
          'export failed after the response began',
        );
      } finally {
        logged.mockRestore();
      }
    });
  });
});
