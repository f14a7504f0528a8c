import { createKeelClient, type KeelClient, type Schemas } from '@keel/client';
import { newUserInput, startTestApp, type TestApp } from '@keel/testing';
import { setTimeout as sleep } from 'node:timers/promises';

/**
 * One front end's session, only through @keel/client against the app listening on a port:
 * the generated types must fit the server's answers, so a contract change that the client
 * was not regenerated for fails the typecheck or this suite.
 */
describe('Typed client (@keel/client)', () => {
  let t: TestApp;
  let baseUrl: string;

  beforeAll(async () => {
    t = await startTestApp();
    baseUrl = await t.listen();
  });
  afterAll(() => t.close());

  /** The body of a successful call; any problem fails the test with its details. */
  function ok<T>(result: { data?: T; error?: unknown; response: Response }): T {
    if (result.data === undefined) {
      throw new Error(`${result.response.status}: ${JSON.stringify(result.error)}`);
    }
    return result.data;
  }

  it('registers, signs in, refreshes, creates, lists, updates with If-Match and imports a CSV', async () => {
    let accessToken: string | undefined;
    const api: KeelClient = createKeelClient({ baseUrl, token: () => accessToken });
    const input = newUserInput();

    const user = ok(await api.POST('/v1/auth/register', { body: input }));
    expect(user).toMatchObject({ email: input.email, displayName: input.displayName });

    const signedIn = ok(
      await api.POST('/v1/auth/login', { body: { email: input.email, password: input.password } }),
    );
    if (!('accessToken' in signedIn)) throw new Error('no second factor was set up');
    accessToken = signedIn.accessToken;
    expect(ok(await api.GET('/v1/users/me')).id).toBe(user.id);

    const refreshed = ok(
      await api.POST('/v1/auth/refresh', { body: { refreshToken: signedIn.refreshToken } }),
    );
    expect(refreshed.refreshToken).not.toBe(signedIn.refreshToken);
    accessToken = refreshed.accessToken;
    // A refusal is a typed problem, not an exception.
    const refused = await api.POST('/v1/auth/login', {
      body: { email: input.email, password: 'not-the-password' },
    });
    expect(refused.response.status).toBe(401);
    expect(refused.error).toMatchObject({ status: 401, code: expect.any(String) });
    expect(ok(await api.GET('/v1/users/me')).id).toBe(user.id);

    const created = await api.POST('/v1/items', {
      body: { name: 'Walnut desk', price: '249.90' },
      params: { header: { 'Idempotency-Key': `client-${user.id}` } },
    });
    const item: Schemas['ItemResponseDto'] = ok(created);
    expect(created.response.status).toBe(201);
    expect(created.response.headers.get('location')).toBe(`/v1/items/${item.id}`);
    expect(item).toMatchObject({ name: 'Walnut desk', price: '249.90', ownerId: user.id });

    const page = ok(await api.GET('/v1/items', { params: { query: { limit: 10 } } }));
    expect(page.data.map((i) => i.id)).toContain(item.id);

    const read = await api.GET('/v1/items/{id}', { params: { path: { id: item.id } } });
    const etag = read.response.headers.get('etag');
    expect(etag).toBe(`"${item.version}"`);
    const updated = await api.PATCH('/v1/items/{id}', {
      params: { path: { id: item.id }, header: { 'If-Match': etag ?? '' } },
      body: { price: '199.00' },
    });
    expect(ok(updated)).toMatchObject({ price: '199.00', version: item.version + 1 });
    expect(updated.response.headers.get('etag')).toBe(`"${item.version + 1}"`);
    // The ETag read before that change no longer matches: 412, not a lost update.
    const stale = await api.PATCH('/v1/items/{id}', {
      params: { path: { id: item.id }, header: { 'If-Match': etag ?? '' } },
      body: { price: '1.00' },
    });
    expect(stale.response.status).toBe(412);
    expect(stale.error).toMatchObject({ status: 412, code: 'REQUEST.PRECONDITION_FAILED' });

    const upload = await api.POST('/v1/items/imports', {
      // The document types a CSV upload as a binary string; the body goes out as it is.
      body: 'name,price\nOak shelf,89.00\nPine stool,not a price\nBirch lamp,45.50\n',
      bodySerializer: (csv) => csv,
      headers: { 'content-type': 'text/csv' },
    });
    const accepted = ok(upload);
    expect(upload.response.status).toBe(202);
    expect(upload.response.headers.get('location')).toBe(`/v1/jobs/${accepted.id}`);
    let job = accepted;
    for (let i = 0; i < 200 && (job.state === 'queued' || job.state === 'running'); i++) {
      await sleep(50);
      job = ok(await api.GET('/v1/jobs/{id}', { params: { path: { id: accepted.id } } }));
    }
    expect(job).toMatchObject({ state: 'succeeded', processed: 3, succeeded: 2, failed: 1 });
    expect(job.errors).toEqual([expect.objectContaining({ line: 3 })]);
    const imported = ok(await api.GET('/v1/items', { params: { query: { q: 'Oak shelf' } } }));
    expect(imported.data.map((i) => i.name)).toEqual(['Oak shelf']);
  });
});
