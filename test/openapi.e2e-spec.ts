import { startTestApp, type TestApp } from '@keel/testing';
import { load } from 'js-yaml';
import { createOpenApiDocument } from '../apps/api/src/openapi';

interface Header {
  description?: string;
  schema?: unknown;
}
interface Response {
  description?: string;
  headers?: Record<string, Header>;
  content?: Record<string, { example?: unknown; schema?: unknown }>;
}
interface Operation {
  operationId?: string;
  security?: unknown[];
  parameters?: Array<{ name: string; in: string }>;
  responses: Record<string, Response>;
  [extension: string]: unknown;
}
interface Document {
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: Record<string, { properties?: Record<string, unknown> }> };
}

/** What Swagger UI shows: the OpenAPI document at /docs-json. */
describe('OpenAPI document', () => {
  let t: TestApp;
  let doc: Document;
  const operations: Array<[string, Operation]> = [];

  beforeAll(async () => {
    t = await startTestApp();
    doc = (await t.http.get('/docs-json').expect(200)).body as Document;
    for (const [path, methods] of Object.entries(doc.paths)) {
      for (const [method, operation] of Object.entries(methods)) {
        operations.push([`${method.toUpperCase()} ${path}`, operation]);
      }
    }
  });
  afterAll(() => t.close());

  const op = (method: string, path: string): Operation => {
    const found = doc.paths[path]?.[method];
    if (!found) throw new Error(`no ${method} ${path} in the document`);
    return found;
  };
  const headersOf = (method: string, path: string, status: number) =>
    Object.keys(op(method, path).responses[String(status)]?.headers ?? {});

  it('gives each error status its own problem example, with that status', () => {
    const byStatus = new Map<number, string>();
    let problems = 0;
    for (const [name, operation] of operations) {
      for (const [status, response] of Object.entries(operation.responses)) {
        const problem = response.content?.['application/problem+json'];
        if (!problem) continue;
        problems += 1;
        const example = problem.example as Record<string, unknown> | undefined;
        expect({ name, status, example }).toEqual({
          name,
          status,
          example: expect.objectContaining({
            type: expect.any(String),
            title: expect.any(String),
            status: Number(status),
            detail: expect.any(String),
          }),
        });
        const text = JSON.stringify(example);
        const seen = byStatus.get(Number(status));
        if (seen === undefined) byStatus.set(Number(status), text);
        else expect({ status, example: text }).toEqual({ status, example: seen });
      }
    }
    expect(problems).toBeGreaterThan(50);
    // Distinct examples for distinct statuses, not one 400 example everywhere.
    expect(new Set(byStatus.values()).size).toBe(byStatus.size);
    expect([...byStatus.keys()].sort()).toEqual(
      expect.arrayContaining([400, 401, 403, 404, 409, 412, 413, 415, 422, 429, 500, 503]),
    );
    const examples = Object.fromEntries(
      [...byStatus].map(([status, text]) => [status, JSON.parse(text) as Record<string, unknown>]),
    );
    expect(examples[400]).toMatchObject({
      code: 'REQUEST.VALIDATION_FAILED',
      type: 'https://keel.dev/problems/request-validation-failed',
      title: 'Bad Request',
      errors: [expect.objectContaining({ field: expect.any(String) })],
    });
    expect(examples[404]).toMatchObject({ title: 'Not Found', code: expect.any(String) });
    expect(examples[500]).toMatchObject({ type: 'about:blank', title: 'Internal Server Error' });
    expect(examples[500]).not.toHaveProperty('code');
  });

  it('documents X-Cache as a response header of cached reads, never as a request header', () => {
    for (const [name, operation] of operations) {
      const asParameter = (operation.parameters ?? []).filter(
        (p) => p.name.toLowerCase() === 'x-cache',
      );
      expect({ name, asParameter }).toEqual({ name, asParameter: [] });
    }
    expect(headersOf('get', '/v1/items', 200)).toContain('X-Cache');
    expect(headersOf('get', '/v1/items/{id}', 200)).toContain('X-Cache');
    expect(headersOf('post', '/v1/items', 201)).not.toContain('X-Cache');
  });

  it('documents the response headers where the server sets them', () => {
    for (const [name, operation] of operations) {
      for (const [status, response] of Object.entries(operation.responses)) {
        expect({ name, status, headers: Object.keys(response.headers ?? {}) }).toEqual({
          name,
          status,
          headers: expect.arrayContaining(['X-Request-Id', 'X-Trace-Id']),
        });
      }
      // The markers that carry declared headers do not leak into the document.
      expect(Object.keys(operation).filter((k) => k.startsWith('x-keel'))).toEqual([]);
    }
    expect(headersOf('get', '/v1/items/{id}', 200)).toContain('ETag');
    expect(headersOf('get', '/v1/items/{id}', 304)).toContain('ETag');
    expect(headersOf('patch', '/v1/items/{id}', 200)).toContain('ETag');
    expect(headersOf('post', '/v1/items', 201)).toEqual(
      expect.arrayContaining(['ETag', 'Location', 'Idempotent-Replayed']),
    );
    expect(headersOf('post', '/v1/items', 400)).not.toContain('Location');
    expect(headersOf('post', '/v1/items/imports', 202)).toContain('Location');
    for (const path of ['/v1/auth/login', '/v1/auth/register', '/v1/auth/refresh']) {
      expect(headersOf('post', path, 429)).toEqual(
        expect.arrayContaining([
          'Retry-After',
          'RateLimit-Limit',
          'RateLimit-Remaining',
          'RateLimit-Reset',
        ]),
      );
      const success = path === '/v1/auth/register' ? 201 : 200;
      expect(headersOf('post', path, success)).toContain('RateLimit-Remaining');
    }
    expect(headersOf('get', '/v1/items', 200)).not.toContain('RateLimit-Remaining');
    expect(headersOf('get', '/health/ready', 503)).toContain('Retry-After');
  });

  it('describes the event stream: text/event-stream, its message format, and that Swagger UI cannot show it', () => {
    const ok = op('get', '/v1/events/stream').responses['200'];
    expect(ok?.description).toMatch(/Swagger UI cannot show it/);
    const stream = ok?.content?.['text/event-stream'];
    expect(stream?.schema).toEqual({ type: 'string' });
    const example = String(stream?.example);
    const message = /^id: (\d+)\nevent: ([a-z_.]+)\ndata: (.+)\n\n/m.exec(example);
    expect(message).not.toBeNull();
    const event = JSON.parse(message?.[3] ?? '') as Record<string, unknown>;
    // A message's id is the event's stream position; its data is the documented event.
    expect(event).toMatchObject({ position: message?.[1], type: message?.[2] });
    const documented = Object.keys(doc.components.schemas.EventDto?.properties ?? {});
    expect(documented).toContain('position');
    expect(Object.keys(event).sort()).toEqual(documented.sort());
    expect(example).toMatch(/^: heartbeat$/m);
  });

  it('names every operation with a unique camelCase id, fit for a method name', () => {
    const ids = operations.map(([name, operation]) => ({ name, id: operation.operationId }));
    for (const { name, id } of ids) {
      expect({ name, id }).toEqual({ name, id: expect.stringMatching(/^[a-z][a-zA-Z0-9]*$/) });
    }
    expect(new Set(ids.map((o) => o.id)).size).toBe(ids.length);
    expect(op('post', '/v1/items').operationId).toBe('createItem');
    expect(op('get', '/v1/items').operationId).toBe('listItems');
    expect(op('post', '/v1/auth/login').operationId).toBe('login');
  });

  it('says who may call each operation: a scheme, or security: [] when it is public', () => {
    for (const [name, operation] of operations) {
      expect({ name, security: Array.isArray(operation.security) }).toEqual({
        name,
        security: true,
      });
    }
    expect(op('post', '/v1/auth/login').security).toEqual([]);
    expect(op('post', '/v1/items').security).not.toEqual([]);
  });

  it('lists the event types the stream sends', () => {
    const description = op('get', '/v1/events/stream').responses['200']?.description ?? '';
    for (const type of ['item.created', 'item.updated', 'item.deleted', 'job.progress']) {
      expect(description).toContain(`\`${type}\``);
    }
  });

  it('serves the same document as YAML at /docs-yaml', async () => {
    const res = await t.http.get('/docs-yaml').expect(200);
    expect(res.headers['content-type']).toMatch(/yaml/);
    expect(load(res.text)).toEqual(doc);
  });

  it('is the document built without a database or a port (npm run openapi, the typed client)', async () => {
    expect(JSON.parse(JSON.stringify(await createOpenApiDocument()))).toEqual(doc);
  });
});
