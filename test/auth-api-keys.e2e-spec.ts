import {
  createItem,
  eventually,
  profile,
  signInAdmin,
  signUp,
  startTestApp,
  type SignedIn,
  type TestApp,
} from '@keel/testing';
import { EventTransport } from '@keel/events';
import { getDataSourceToken } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import type TestAgent from 'supertest/lib/agent';

interface CreatedKey {
  id: string;
  key: string;
  prefix: string;
  scopes: string[];
  expiresAt: string | null;
  lastUsedAt: string | null;
}

const RATE_LIMIT = 12;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function createKey(
  http: TestAgent,
  owner: SignedIn,
  scopes: string[],
  expiresAt?: string,
): Promise<CreatedKey & { auth: { Authorization: string } }> {
  const res = await http
    .post('/v1/auth/api-keys')
    .set(owner.auth)
    .send({ name: `key for ${scopes.join(' ')}`, scopes, ...(expiresAt ? { expiresAt } : {}) })
    .expect(201);
  const body = res.body as CreatedKey;
  return { ...body, auth: { Authorization: `Bearer ${body.key}` } };
}

function outboxTypes(t: TestApp, aggregateId: string): Promise<Array<{ type: string }>> {
  return t.app
    .get<DataSource>(getDataSourceToken())
    .query('SELECT type FROM outbox WHERE aggregate_id = $1 ORDER BY seq', [aggregateId]);
}

describe('API keys', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp({ API_KEY_RATE_LIMIT: String(RATE_LIMIT) });
  });
  afterAll(async () => {
    await t.close();
  });

  it('shows the secret once: keel_ and 32 random bytes, never in the list', async () => {
    const owner = await signUp(t.http);
    const created = await createKey(t.http, owner, ['items:read']);
    expect(created.key).toMatch(/^keel_[A-Za-z0-9_-]{43}$/);
    expect(created.prefix).toBe(created.key.slice(0, 17));
    const list = await t.http.get('/v1/auth/api-keys').set(owner.auth).expect(200);
    const listed = (list.body as { data: Array<Record<string, unknown>> }).data;
    expect(listed.map((k) => k.id)).toEqual([created.id]);
    expect(listed[0]).not.toHaveProperty('key');
    expect(JSON.stringify(list.body)).not.toContain(created.key.slice(17));
    // Stored as a hash: the database never holds the key either.
    const rows = await t.app
      .get<DataSource>(getDataSourceToken())
      .query<Array<Record<string, unknown>>>('SELECT * FROM api_keys WHERE id = $1', [created.id]);
    expect(JSON.stringify(rows)).not.toContain(created.key.slice(17));
    expect((await outboxTypes(t, created.id)).map((e) => e.type)).toEqual(['auth.api_key_created']);
  });

  it('a read key exports items and can write nothing', async () => {
    const owner = await signUp(t.http);
    const item = await createItem(t.http, owner, { name: 'walnut desk' });
    const read = await createKey(t.http, owner, ['items:read']);

    await t.http.get('/v1/items/export?format=ndjson').set(read.auth).expect(200);
    const refused = await t.http
      .post('/v1/items')
      .set(read.auth)
      .send({ name: 'new', price: '1.00' });
    expect(refused.status).toBe(403);
    expect(refused.headers['content-type']).toContain('application/problem+json');
    expect((refused.body as { code: string }).code).toBe('AUTH.API_KEY_NOT_ALLOWED');
    await t.http.patch(`/v1/items/${item.id}`).set(read.auth).send({ name: 'x' }).expect(403);
    await t.http.delete(`/v1/items/${item.id}`).set(read.auth).expect(403);
    await t.http
      .post('/v1/items/imports')
      .set(read.auth)
      .set('content-type', 'application/x-ndjson')
      .send('{"name":"a","price":"1.00"}\n')
      .expect(403);
  });

  it('a write-only key changes items as its owner and cannot read the export', async () => {
    const owner = await signUp(t.http);
    const write = await createKey(t.http, owner, ['items:write']);

    const created = await t.http
      .post('/v1/items')
      .set(write.auth)
      .send({ name: 'made by a key', price: '2.00' })
      .expect(201);
    const item = created.body as { id: string; ownerId: string };
    expect(item.ownerId).toBe(owner.id);
    await t.http
      .patch(`/v1/items/${item.id}`)
      .set(write.auth)
      .send({ name: 'renamed' })
      .expect(200);
    await t.http.delete(`/v1/items/${item.id}`).set(write.auth).expect(204);
    await t.http
      .post('/v1/items/imports')
      .set(write.auth)
      .set('content-type', 'application/x-ndjson')
      .send('{"name":"a","price":"1.00"}\n')
      .expect(202);
    await t.http.get('/v1/items/export?format=ndjson').set(write.auth).expect(403);
  });

  it('no key reaches a route without an item scope: profile, sessions, keys, admin', async () => {
    const admin = await signInAdmin(t.http);
    const key = await createKey(t.http, admin, ['items:read', 'items:write']);
    await t.http.get('/v1/users/me').set(key.auth).expect(403);
    await t.http.get('/v1/users').set(key.auth).expect(403);
    await t.http.get('/v1/auth/sessions').set(key.auth).expect(403);
    await t.http
      .post('/v1/auth/api-keys')
      .set(key.auth)
      .send({ name: 'more', scopes: ['items:read'] })
      .expect(403);
    // The same admin signed in still reaches them.
    await t.http.get('/v1/users').set(admin.auth).expect(200);
  });

  it("a write key follows and cancels its owner's jobs, and only those; a read key none", async () => {
    const owner = await signUp(t.http);
    const write = await createKey(t.http, owner, ['items:write']);
    const read = await createKey(t.http, owner, ['items:read']);
    const started = await t.http
      .post('/v1/items/imports')
      .set(write.auth)
      .set('content-type', 'application/x-ndjson')
      .send('{"name":"a","price":"1.00"}\n')
      .expect(202);
    const location = String(started.headers.location);
    const jobId = (started.body as { id: string }).id;
    expect(location).toBe(`/v1/jobs/${jobId}`);

    const polled = await t.http.get(location).set(write.auth).expect(200);
    expect(polled.body).toMatchObject({ id: jobId, type: expect.any(String) });
    // The list is the owner's, as the owner signed in sees it (the sign-up's mail job too).
    const ids = async (auth: { Authorization: string }) =>
      (
        (await t.http.get('/v1/jobs').set(auth).expect(200)).body as { data: Array<{ id: string }> }
      ).data.map((j) => j.id);
    expect(await ids(write.auth)).toContain(jobId);
    expect(await ids(write.auth)).toEqual(await ids(owner.auth));
    // Cancelling is admitted too (409 when the import has finished already).
    expect([200, 409]).toContain((await t.http.delete(location).set(write.auth)).status);
    await t.http.get(location).set(read.auth).expect(403);
    await t.http.get('/v1/jobs').set(read.auth).expect(403);

    // Someone else's job is not found, for the key as for its owner signed in.
    const other = await signUp(t.http);
    const theirs = await t.http
      .post('/v1/items/imports')
      .set(other.auth)
      .set('content-type', 'application/x-ndjson')
      .send('{"name":"b","price":"1.00"}\n')
      .expect(202);
    const theirId = (theirs.body as { id: string }).id;
    await t.http.get(`/v1/jobs/${theirId}`).set(write.auth).expect(404);
    await t.http.delete(`/v1/jobs/${theirId}`).set(write.auth).expect(404);
  });

  it("an admin's key acts with its scopes as a plain user, never with the admin role", async () => {
    const admin = await signInAdmin(t.http);
    const user = await signUp(t.http);
    const theirs = await createItem(t.http, user, { name: 'not the admin’s' });
    const key = await createKey(t.http, admin, ['items:write']);

    const change = (auth: { Authorization: string }) =>
      t.http.patch(`/v1/items/${theirs.id}`).set(auth).send({ name: 'changed' });
    await change(key.auth).expect(404);
    await t.http.delete(`/v1/items/${theirs.id}`).set(key.auth).expect(404);
    // The admin signed in still may.
    await change(admin.auth).expect(200);

    // Jobs: the admin's own only, not everyone's as the signed-in admin sees them.
    const job = await t.http
      .post('/v1/items/imports')
      .set(user.auth)
      .set('content-type', 'application/x-ndjson')
      .send('{"name":"c","price":"1.00"}\n')
      .expect(202);
    const jobId = (job.body as { id: string }).id;
    await t.http.get(`/v1/jobs/${jobId}`).set(admin.auth).expect(200);
    await t.http.get(`/v1/jobs/${jobId}`).set(key.auth).expect(404);
    // The key's own items are still its owner's to change.
    const made = await t.http
      .post('/v1/items')
      .set(key.auth)
      .send({ name: 'by the admin’s key', price: '1.00' })
      .expect(201);
    expect((made.body as { ownerId: string }).ownerId).toBe(admin.id);
    await t.http
      .patch(`/v1/items/${(made.body as { id: string }).id}`)
      .set(key.auth)
      .send({ name: 'renamed' })
      .expect(200);
  });

  it('refuses an expired key', async () => {
    const owner = await signUp(t.http);
    const key = await createKey(
      t.http,
      owner,
      ['items:read'],
      new Date(Date.now() + 1_500).toISOString(),
    );
    await t.http.get('/v1/items/export').set(key.auth).expect(200);
    await sleep(1_700);
    const res = await t.http.get('/v1/items/export').set(key.auth);
    expect(res.status).toBe(401);
    expect(res.headers['content-type']).toContain('application/problem+json');
  });

  it('refuses a key created to expire in the past', async () => {
    const owner = await signUp(t.http);
    await t.http
      .post('/v1/auth/api-keys')
      .set(owner.auth)
      .send({
        name: 'late',
        scopes: ['items:read'],
        expiresAt: new Date(Date.now() - 1000).toISOString(),
      })
      .expect(400);
  });

  it('refuses a tampered key', async () => {
    const owner = await signUp(t.http);
    const key = await createKey(t.http, owner, ['items:read']);
    await t.http.get('/v1/items/export').set(key.auth).expect(200);
    const last = key.key.at(-1) === 'A' ? 'B' : 'A';
    const tampered = key.key.slice(0, -1) + last;
    await t.http.get('/v1/items/export').set('Authorization', `Bearer ${tampered}`).expect(401);
    await t.http
      .get('/v1/items/export')
      .set('Authorization', `Bearer ${key.key.slice(0, -1)}`)
      .expect(401);
  });

  it('revoking refuses the key at once; only the owner may revoke it', async () => {
    const owner = await signUp(t.http);
    const stranger = await signUp(t.http);
    const key = await createKey(t.http, owner, ['items:read']);
    await t.http.get('/v1/items/export').set(key.auth).expect(200);

    await t.http.delete(`/v1/auth/api-keys/${key.id}`).set(stranger.auth).expect(404);
    await t.http.get('/v1/items/export').set(key.auth).expect(200);
    await t.http.delete(`/v1/auth/api-keys/${key.id}`).set(owner.auth).expect(204);
    await t.http.get('/v1/items/export').set(key.auth).expect(401);

    const list = await t.http.get('/v1/auth/api-keys').set(owner.auth).expect(200);
    expect((list.body as { data: unknown[] }).data).toEqual([]);
    expect((await outboxTypes(t, key.id)).map((e) => e.type)).toEqual([
      'auth.api_key_created',
      'auth.api_key_revoked',
    ]);
  });

  it("refuses a disabled owner's key", async () => {
    const owner = await signUp(t.http);
    const admin = await signInAdmin(t.http);
    const key = await createKey(t.http, owner, ['items:read']);
    await t.http.get('/v1/items/export').set(key.auth).expect(200);
    await t.http
      .patch(`/v1/users/${owner.id}`)
      .set(admin.auth)
      .send({ disabled: true })
      .expect(200);
    await t.http.get('/v1/items/export').set(key.auth).expect(401);
  });

  it('limits each key: over API_KEY_RATE_LIMIT a 429, other keys unaffected', async () => {
    const owner = await signUp(t.http);
    const busy = await createKey(t.http, owner, ['items:read']);
    const quiet = await createKey(t.http, owner, ['items:read']);
    for (let i = 0; i < RATE_LIMIT; i++)
      await t.http.get('/v1/items/export').set(busy.auth).expect(200);
    const limited = await t.http.get('/v1/items/export').set(busy.auth);
    expect(limited.status).toBe(429);
    expect(limited.headers['retry-after']).toBeDefined();
    await t.http.get('/v1/items/export').set(quiet.auth).expect(200);
    // The owner signed in is not limited by the key's rule.
    await t.http.get('/v1/items/export').set(owner.auth).expect(200);
  });

  it('records when a key was last used', async () => {
    const owner = await signUp(t.http);
    const key = await createKey(t.http, owner, ['items:read']);
    expect(key.lastUsedAt).toBeNull();
    await t.http.get('/v1/items/export').set(key.auth).expect(200);
    await eventually(async () => {
      const list = await t.http.get('/v1/auth/api-keys').set(owner.auth).expect(200);
      const [listed] = (list.body as { data: CreatedKey[] }).data;
      return listed?.lastUsedAt !== null;
    }, 3_000);
  });

  it('documents the API key scheme and the new routes', async () => {
    const doc = (await t.http.get('/docs-json').expect(200)).body as {
      components: { securitySchemes: Record<string, { scheme?: string }> };
      paths: Record<string, Record<string, { security?: unknown[]; responses: object }>>;
    };
    expect(doc.components.securitySchemes['api-key']).toMatchObject({ scheme: 'bearer' });
    expect(doc.paths['/v1/items']?.post?.security).toContainEqual({ 'api-key': [] });
    expect(Object.keys(doc.paths['/v1/auth/api-keys']?.post?.responses ?? {})).toEqual(
      expect.arrayContaining(['201', '400', '401', '403']),
    );
    expect(Object.keys(doc.paths['/v1/auth/api-keys/{id}']?.delete?.responses ?? {})).toEqual(
      expect.arrayContaining(['204', '401', '404']),
    );
  });
});

// Two instances on one database, with the broker's fan-out (full profile).
const withReplicas = profile.databaseUrl && process.env.RABBITMQ_URL ? describe : describe.skip;

withReplicas('API keys on two instances', () => {
  let a: TestApp;
  let b: TestApp;

  beforeAll(async () => {
    a = await startTestApp();
    b = await startTestApp({
      DATABASE_URL: a.env.DATABASE_URL ?? '',
      REDIS_KEY_PREFIX: a.env.REDIS_KEY_PREFIX ?? '',
      JWT_SECRET: a.env.JWT_SECRET ?? '',
    });
    for (const app of [a, b]) await eventually(() => app.app.get(EventTransport).connected);
  });
  afterAll(async () => {
    await b.close();
    await a.close();
  });

  it('a key revoked on one instance is refused by the other on its next request', async () => {
    const owner = await signUp(a.http);
    const key = await createKey(a.http, owner, ['items:read']);
    // Used on b first, so anything b might keep about the key is warm.
    await b.http.get('/v1/items/export').set(key.auth).expect(200);
    await b.http.get('/v1/items/export').set(key.auth).expect(200);
    await a.http.delete(`/v1/auth/api-keys/${key.id}`).set(owner.auth).expect(204);
    await b.http.get('/v1/items/export').set(key.auth).expect(401);
  });
});
