import {
  createItem,
  signInAdmin,
  signUp,
  startTestApp,
  type SignedIn,
  type TestApp,
} from '@keel/testing';
import fc from 'fast-check';
import { get } from 'node:http';

/**
 * Property-based fuzzing driven by the OpenAPI document: every operation, anonymous, as a user
 * and as an admin, gets generated values (valid ones, and hostile ones in body, query, path and
 * documented headers). Any 5xx, any error that is not problem+json with the request id, any
 * hang, and any stall of /health/live fails the run.
 *
 * Two runs, each a property per operation and identity: a fixed seed (the same inputs on every
 * CI run) and a random one.
 * fast-check prints the seed and path of a failure; FUZZ_SEED=<seed> replays a random run.
 */
const RUNS_PER_OPERATION = Number(process.env.FUZZ_RUNS ?? 20);
const FIXED_SEED = 12;
const REQUEST_TIMEOUT_MS = 10_000;
/**
 * Liveness is answered in milliseconds; seconds mean the event loop was held. Generous: the
 * fuzzer builds and sends megabyte bodies in the same process, on a shared machine.
 */
const LIVENESS_BOUND_MS = 3_000;

interface Schema {
  $ref?: string;
  type?: string;
  format?: string;
  enum?: unknown[];
  example?: unknown;
  minimum?: number;
  maximum?: number;
  items?: Schema;
  properties?: Record<string, Schema>;
  required?: string[];
  allOf?: Schema[];
  nullable?: boolean;
}
interface Parameter {
  name: string;
  in: 'query' | 'path' | 'header';
  schema?: Schema;
}
interface Operation {
  method: string;
  path: string;
  parameters: Parameter[];
  jsonBody?: Schema;
  textBody: boolean;
}
interface OpenApi {
  paths: Record<
    string,
    Record<
      string,
      {
        parameters?: Parameter[];
        requestBody?: { content: Record<string, { schema?: Schema }> };
      }
    >
  >;
  components: { schemas: Record<string, Schema> };
}

/** Strings Postgres, JSON inserts or validators have choked on: NUL and lone surrogates. */
const BREAKING_STRINGS = ['\u0000', 'a\u0000b', 'name\u0000', '\ud800', 'x\udfffy', '\udc00\ud800'];
const HOSTILE_STRINGS = [
  '',
  ' ',
  'a'.repeat(5_000),
  '🚀'.repeat(300),
  '\u202eevil',
  '\ufeff',
  'İıß',
  'ﬃ',
  "' OR 1=1 --",
  '%00',
  '%FF',
  '../../etc/passwd',
  '__proto__',
  'constructor',
  'toString',
  '-1',
  '0',
  '1e309',
  'NaN',
  'Infinity',
  '9'.repeat(400),
  '2020-02-30T00:00:00.000Z',
  '+275760-09-13T00:00:00.000Z',
  '-004714-01-01T00:00:00Z',
  '0000-01-01T00:00:00Z',
  '2020-W01',
  '2020-001',
  'null',
  '\r\n\t',
];
const HOSTILE_NUMBERS = [0, -0, -1, 1.5, 1e308, -1e308, 2 ** 53 + 1, 5e-324, 4_294_967_296];
const PROTOTYPE_KEYS = ['__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty'];

const nested = (depth: number, open: string, close: string) =>
  `${open.repeat(depth)}${close.repeat(depth)}`;
/** Bodies no generator of values would write: too deep, too wide, not JSON, or poisonous. */
const RAW_BODIES = [
  `{"email":${nested(2_000, '[', ']')}}`,
  `{"a":${'{"a":'.repeat(40)}1${'}'.repeat(40)}}`,
  `{${Array.from({ length: 20_000 }, (_, i) => `"k${i}":1`).join(',')}}`,
  `[${'0,'.repeat(20_000)}0]`,
  '{"__proto__":{"admin":true}}',
  '{"constructor":{"prototype":{"admin":true}}}',
  '{"name":"a","name":"b"}',
  '{',
  '',
  'null',
  '"a string"',
  '1e999',
  '[]',
  `{"name":"${'x'.repeat(1_100_000)}"}`,
];

const hostileString = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(...BREAKING_STRINGS) },
  { weight: 3, arbitrary: fc.constantFrom(...HOSTILE_STRINGS) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 40 }) },
  { weight: 1, arbitrary: fc.string({ unit: 'grapheme', maxLength: 40 }) },
);
const hostileValue: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 4, arbitrary: hostileString },
  { weight: 2, arbitrary: fc.constantFrom(...HOSTILE_NUMBERS) },
  { weight: 1, arbitrary: fc.constantFrom(null, true, false, [], {}, [[[]]], { $gt: '' }) },
  { weight: 1, arbitrary: fc.array(fc.integer(), { maxLength: 300 }) },
  { weight: 1, arbitrary: fc.dictionary(fc.constantFrom(...PROTOTYPE_KEYS), hostileString) },
);

function resolve(schema: Schema | undefined, doc: OpenApi): Schema {
  if (!schema) return {};
  if (schema.$ref) return resolve(doc.components.schemas[schema.$ref.split('/').pop() ?? ''], doc);
  if (schema.allOf?.length === 1) return resolve(schema.allOf[0], doc);
  return schema;
}

/** A value that fits the schema as far as the document says (formats and bounds, not patterns). */
function validFor(raw: Schema | undefined, doc: OpenApi): fc.Arbitrary<unknown> {
  const schema = resolve(raw, doc);
  if (schema.enum) return fc.constantFrom(...schema.enum);
  if (schema.example !== undefined && schema.type !== 'object') return fc.constant(schema.example);
  switch (schema.type ?? 'object') {
    case 'string':
      if (schema.format === 'uuid') return fc.uuid();
      if (schema.format === 'date-time')
        return fc.date({ noInvalidDate: true }).map((d) => d.toISOString());
      return fc.string({ maxLength: 30 });
    case 'integer':
    case 'number':
      return fc.integer({ min: schema.minimum ?? -1_000, max: schema.maximum ?? 1_000 });
    case 'boolean':
      return fc.boolean();
    case 'array':
      return fc.array(validFor(schema.items, doc), { maxLength: 3 });
    default:
      return objectFor(schema, doc);
  }
}

function objectFor(schema: Schema, doc: OpenApi): fc.Arbitrary<Record<string, unknown>> {
  const properties = schema.properties ?? {};
  const shape = Object.fromEntries(
    Object.entries(properties).map(([name, s]) => [name, validFor(s, doc)]),
  );
  return fc.record(shape, { requiredKeys: schema.required ?? [] });
}

/** A body: valid, valid with one field made hostile, with an extra key, or raw hostile text. */
function bodyFor(schema: Schema, doc: OpenApi): fc.Arbitrary<string> {
  const valid = objectFor(resolve(schema, doc), doc);
  const fields = Object.keys(resolve(schema, doc).properties ?? {});
  const spoiled = fc
    .tuple(
      valid,
      fc.oneof(
        { weight: 3, arbitrary: fc.constantFrom(...fields) },
        { weight: 1, arbitrary: fc.constantFrom(...PROTOTYPE_KEYS, 'unknownField') },
      ),
      hostileValue,
    )
    .map(([body, field, value]) => ({ ...body, [field]: value }));
  return fc.oneof(
    { weight: 2, arbitrary: valid.map((b) => JSON.stringify(b)) },
    { weight: 5, arbitrary: spoiled.map((b) => JSON.stringify(b)) },
    { weight: 1, arbitrary: hostileValue.map((v) => JSON.stringify(v) ?? 'null') },
    { weight: 2, arbitrary: fc.constantFrom(...RAW_BODIES) },
  );
}

/** URL-encodes what can be encoded; a lone surrogate cannot be sent in a URL at all. */
function urlEncode(value: unknown): string {
  const text = typeof value === 'string' ? value : (JSON.stringify(value) ?? '');
  return encodeURIComponent(text.toWellFormed());
}

function pathValue(ids: string[]): fc.Arbitrary<string> {
  return fc.oneof(
    fc.constantFrom(...ids),
    fc.uuid(),
    hostileString.map(urlEncode),
    fc.constantFrom('%00', '%FF', '%2F', '..', 'a'.repeat(150), '%E0%A4%A'),
  );
}

/** Cursors are opaque, so forged ones look like real ones: base64url JSON of hostile values. */
const cursorPart = fc.oneof(
  hostileValue,
  fc.constantFrom('-createdAt', 'createdAt', 'name', 'price', '12345'),
  fc.uuid(),
  fc.date({ noInvalidDate: true }).map((d) => d.toISOString()),
);
/** Sort values a forged createdAt cursor might carry: what `Date.parse` takes, and more. */
const timestampish = fc.oneof(
  fc.constantFrom('1', 'x 1', '2020-02-30', '0', '-1', '+275760-09-13T00:00:00.000Z'),
  fc.constantFrom('0000-01-01T00:00:00.000Z', '-000001-01-01T00:00:00.000Z', '2026-1-1 1:1'),
  hostileString,
  fc.date({ noInvalidDate: true }).map((d) => d.toISOString()),
);
const forgedCursor = fc
  .oneof(
    // The shape of an items cursor ([sort, value, id]) with the default sort, so the value
    // itself is what gets tested.
    { weight: 3, arbitrary: fc.tuple(fc.constant('-createdAt'), timestampish, fc.uuid()) },
    { weight: 1, arbitrary: fc.array(cursorPart, { maxLength: 4 }) },
  )
  .map((values) => Buffer.from(JSON.stringify(values)).toString('base64url'));

/**
 * A query of valid values with at most one thing made hostile (a parameter, or an extra key),
 * so the hostile part is what reaches the code instead of being refused along with the rest.
 */
function queryFor(parameters: Parameter[], doc: OpenApi): fc.Arbitrary<string> {
  const params = parameters.filter((p) => p.in === 'query');
  // A valid cursor only comes from a previous page: absent unless forged.
  const valid = fc.tuple(
    ...params
      .filter((p) => p.name !== 'cursor')
      .map((p) => fc.option(validFor(p.schema, doc).map((v) => [p.name, v] as const))),
  );
  const spoil: fc.Arbitrary<readonly [string, unknown] | undefined> = fc.oneof(
    fc.constant(undefined),
    ...params.map((p) =>
      p.name === 'cursor'
        ? // Weighted: a cursor is the one parameter whose content the client cannot see.
          fc.oneof(forgedCursor, forgedCursor, hostileValue).map((v) => ['cursor', v] as const)
        : hostileValue.map((v) => [p.name, v] as const),
    ),
    fc
      .constantFrom('__proto__', 'toString', 'constructor', 'x[]', 'unknown')
      .map((name) => [name, '1'] as const),
  );
  return fc.tuple(valid, spoil).map(([given, spoiled]) => {
    const entries = new Map(given.filter((e) => e !== null));
    if (spoiled) {
      entries.set(spoiled[0], spoiled[1]);
      // A forged cursor names the default sort; another sort would refuse it for that alone.
      if (spoiled[0] === 'cursor') entries.delete('sort');
    }
    return [...entries].map(([name, value]) => `${name}=${urlEncode(value)}`).join('&');
  });
}

/** Documented request headers, with values a client can send (printable ASCII). */
function headersFor(parameters: Parameter[]): fc.Arbitrary<Record<string, string>> {
  const printable = fc.oneof(
    fc.string({
      unit: fc.integer({ min: 0x20, max: 0x7e }).map(String.fromCharCode),
      maxLength: 300,
    }),
    fc.constantFrom('"1"', '*', 'W/"1"', '"99999999999999999999"', '"-1"', '"abc"', '', 'HIT'),
  );
  const entries = parameters
    .filter((p) => p.in === 'header' && p.name.toLowerCase() !== 'last-event-id')
    .map((p) => fc.option(printable.map((v) => [p.name, v] as const)));
  return fc.tuple(...entries).map((pairs) => Object.fromEntries(pairs.filter((p) => p !== null)));
}

function importBody(): fc.Arbitrary<{ type: string; body: string }> {
  const line = fc.array(fc.oneof(hostileString, fc.constant('1.00')), { maxLength: 4 });
  return fc.record({
    type: fc.constantFrom('text/csv', 'application/x-ndjson', 'application/json'),
    body: fc
      .array(line, { maxLength: 5 })
      .map((rows) => ['name,price,description', ...rows.map((r) => r.join(','))].join('\n')),
  });
}

interface Request {
  method: string;
  url: string;
  headers: Record<string, string>;
  body?: { type: string; body: string };
}

function requestFor(op: Operation, doc: OpenApi, ids: string[]): fc.Arbitrary<Request> {
  const pathParams = op.parameters.filter((p) => p.in === 'path');
  const path = fc
    .tuple(...pathParams.map(() => pathValue(ids)))
    .map((values) =>
      pathParams.reduce((url, p, i) => url.replace(`{${p.name}}`, values[i] ?? ''), op.path),
    );
  const body: fc.Arbitrary<Request['body']> = op.jsonBody
    ? bodyFor(op.jsonBody, doc).map((text) => ({ type: 'application/json', body: text }))
    : op.textBody
      ? importBody()
      : fc.constant(undefined);
  return fc
    .record({
      path,
      query: queryFor(op.parameters, doc),
      headers: headersFor(op.parameters),
      body,
    })
    .map(({ path: p, query, headers, body: b }) => ({
      method: op.method,
      url: query ? `${p}?${query}` : p,
      headers,
      body: b,
    }));
}

function operationsOf(doc: OpenApi): Operation[] {
  return Object.entries(doc.paths).flatMap(([path, methods]) =>
    Object.entries(methods)
      // The event stream never ends by design; its refusals are tested in events suites.
      .filter(() => !path.endsWith('/events/stream'))
      .map(([method, op]) => {
        const content = op.requestBody?.content ?? {};
        return {
          method: method.toUpperCase(),
          path,
          parameters: op.parameters ?? [],
          jsonBody: content['application/json']?.schema,
          textBody: 'text/csv' in content,
        };
      }),
  );
}

/** Polls /health/live over its own connection until stopped; records the slowest answer. */
function watchLiveness(base: string) {
  let slowest = 0;
  let running = true;
  const once = () =>
    new Promise<void>((resolveOnce) => {
      const started = Date.now();
      const req = get(`${base}/health/live`, { agent: false }, (res) => {
        res.resume();
        res.on('end', () => {
          slowest = Math.max(slowest, Date.now() - started);
          resolveOnce();
        });
      });
      req.setTimeout(30_000, () => req.destroy());
      req.on('error', () => {
        slowest = Math.max(slowest, Date.now() - started);
        resolveOnce();
      });
    });
  const loop = (async () => {
    while (running) {
      await once();
      await new Promise((r) => setTimeout(r, 50));
    }
  })();
  return {
    stop: async () => {
      running = false;
      await loop;
      return slowest;
    },
  };
}

describe('fuzzing every operation of the OpenAPI document', () => {
  let t: TestApp;
  let base: string;
  let doc: OpenApi;
  let identities: Array<[string, Record<string, string>]>;
  let ids: string[];

  beforeAll(async () => {
    t = await startTestApp();
    base = await t.listen();
    doc = (await t.http.get('/docs-json').expect(200)).body as OpenApi;
    const user: SignedIn = await signUp(t.http);
    const admin = await signInAdmin(t.http);
    const items = await Promise.all(
      ['one', 'two', 'three'].map((name) => createItem(t.http, user, { name })),
    );
    ids = items.map((i) => i.id);
    identities = [
      ['anonymous', {}],
      ['user', user.auth],
      ['admin', admin.auth],
    ];
  });
  afterAll(async () => {
    await t.close();
  });

  async function send(request: Request, auth: Record<string, string>) {
    let call = t.http[request.method.toLowerCase() as 'get'](request.url)
      .set({ ...request.headers, ...auth })
      .timeout(REQUEST_TIMEOUT_MS);
    if (request.body) call = call.set('content-type', request.body.type).send(request.body.body);
    const res = await call.ok(() => true);
    const where = `${request.method} ${request.url.slice(0, 200)} -> ${res.status}`;
    expect([where, res.status < 500]).toEqual([where, true]);
    if (res.status >= 400) {
      expect([where, res.headers['content-type']]).toEqual([
        where,
        expect.stringMatching(/^application\/problem\+json/),
      ]);
      expect([where, (res.body as { requestId?: string }).requestId]).toEqual([
        where,
        res.headers['x-request-id'],
      ]);
    }
  }

  const seeds: Array<[string, number | undefined]> = [
    ['a fixed seed', FIXED_SEED],
    ['a random seed', process.env.FUZZ_SEED ? Number(process.env.FUZZ_SEED) : undefined],
  ];
  it.each(seeds)(
    'answers every request with a status below 500 and problem+json errors (%s)',
    async (_name, seed) => {
      const liveness = watchLiveness(base);
      try {
        for (const op of operationsOf(doc)) {
          for (const [who, auth] of identities) {
            await fc.assert(
              fc.asyncProperty(requestFor(op, doc, ids), (request) => send(request, auth)),
              {
                numRuns: RUNS_PER_OPERATION,
                seed,
                // Shrinking re-sends requests for minutes; the seed and path reproduce a failure.
                endOnFailure: true,
                reporter: (details) => {
                  if (details.failed)
                    throw new Error(
                      `fuzzing ${op.method} ${op.path} as ${who} failed (seed ${details.seed}, path ${details.counterexamplePath}): ${fc.defaultReportMessage(details)}`,
                    );
                },
              },
            );
          }
        }
      } finally {
        const slowest = await liveness.stop();
        expect(slowest).toBeLessThan(LIVENESS_BOUND_MS);
      }
    },
    180_000,
  );
});
