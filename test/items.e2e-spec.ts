import {
  eventsDelivered,
  countQueries,
  selectsItems,
  signInAdmin,
  signUp,
  startTestApp,
  walkPages,
  type SignedIn,
  type TestApp,
} from '@keel/testing';
import type { DataSource } from 'typeorm';
import { getDataSourceToken } from '@nestjs/typeorm';

interface ItemBody {
  id: string;
  name: string;
  description: string;
  price: string;
  ownerId: string;
  version: number;
  createdAt: string;
  updatedAt: string;
}

describe('items', () => {
  let t: TestApp;
  let owner: SignedIn;
  let other: SignedIn;
  let admin: SignedIn;
  let db: DataSource;

  beforeAll(async () => {
    t = await startTestApp();
    owner = await signUp(t.http);
    other = await signUp(t.http);
    admin = await signInAdmin(t.http);
    db = t.app.get<DataSource>(getDataSourceToken());
  });
  afterAll(async () => {
    await t.close();
  });

  const create = async (who: SignedIn, body: Record<string, unknown>) =>
    (await t.http.post('/v1/items').set(who.auth).send(body).expect(201)).body as ItemBody;
  const countItems = async () =>
    Number((await db.query<Array<{ n: string }>>('SELECT count(*) AS n FROM items'))[0]?.n);

  describe('create and read', () => {
    it('creates an item with Location and ETag, and reads it back publicly', async () => {
      const res = await t.http
        .post('/v1/items')
        .set(owner.auth)
        .send({ name: '  Walnut desk ', price: '249.9', description: 'Solid.' })
        .expect(201);
      const item = res.body as ItemBody;
      expect(item).toEqual({
        id: expect.stringMatching(/^[0-9a-f-]{36}$/),
        name: 'Walnut desk',
        description: 'Solid.',
        price: '249.90',
        ownerId: owner.id,
        version: 1,
        createdAt: expect.any(String),
        updatedAt: expect.any(String),
      });
      expect(res.headers.location).toBe(`/v1/items/${item.id}`);
      expect(res.headers.etag).toBe('"1"');

      const read = await t.http.get(`/v1/items/${item.id}`).expect(200);
      expect(read.body).toEqual(item);
      expect(read.headers.etag).toBe('"1"');
    });

    it('keeps prices exact: large values, zero, two places', async () => {
      for (const [input, stored] of [
        ['9999999999.99', '9999999999.99'],
        ['0', '0.00'],
        ['0.1', '0.10'],
        ['1234567.05', '1234567.05'],
      ]) {
        const item = await create(owner, { name: 'exact', price: input });
        expect(item.price).toBe(stored);
        const read = await t.http.get(`/v1/items/${item.id}`).expect(200);
        expect(read.body.price).toBe(stored);
      }
    });

    it('needs a signed-in user to create', async () => {
      const before = await countItems();
      await t.http.post('/v1/items').send({ name: 'x', price: '1.00' }).expect(401);
      expect(await countItems()).toBe(before);
    });

    it.each([
      ['a float price', { name: 'x', price: 1.5 }],
      ['a negative price', { name: 'x', price: '-1.00' }],
      ['three decimal places', { name: 'x', price: '1.005' }],
      ['a price too large', { name: 'x', price: '10000000000.00' }],
      ['an exponent', { name: 'x', price: '1e3' }],
      ['no price', { name: 'x' }],
      ['a null price', { name: 'x', price: null }],
      ['an empty name', { name: '', price: '1.00' }],
      ['a blank name', { name: '   ', price: '1.00' }],
      ['a name of 201 characters', { name: 'n'.repeat(201), price: '1.00' }],
      [
        'a description of 2001 characters',
        { name: 'x', price: '1.00', description: 'd'.repeat(2001) },
      ],
      ['a null description', { name: 'x', price: '1.00', description: null }],
      ['an ownerId', { name: 'x', price: '1.00', ownerId: '0190d7a8-0000-7000-8000-000000000000' }],
      ['an id', { name: 'x', price: '1.00', id: '0190d7a8-0000-7000-8000-000000000000' }],
      ['a version', { name: 'x', price: '1.00', version: 7 }],
      ['an array body', [{ name: 'x', price: '1.00' }]],
    ])('rejects %s with 400 problem+json and stores nothing', async (_case, body) => {
      const before = await countItems();
      const res = await t.http
        .post('/v1/items')
        .set(owner.auth)
        .send(body as object)
        .expect(400);
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(res.body.status).toBe(400);
      expect(await countItems()).toBe(before);
    });

    it('accepts names and descriptions at their limits', async () => {
      const item = await create(owner, {
        name: 'n'.repeat(200),
        price: '1.00',
        description: 'd'.repeat(2000),
      });
      expect(item.name).toHaveLength(200);
      expect(item.description).toHaveLength(2000);
    });

    it('answers 404 for an unknown item and 400 for a malformed id', async () => {
      const res = await t.http.get('/v1/items/0190d7a8-0000-7000-8000-000000000000').expect(404);
      expect(res.body.type).toBeDefined();
      await t.http.get('/v1/items/not-a-uuid').expect(400);
    });
  });

  describe('update and delete', () => {
    it('lets the owner update, bumping version and ETag', async () => {
      const item = await create(owner, { name: 'Lamp', price: '10.00' });
      const res = await t.http
        .patch(`/v1/items/${item.id}`)
        .set(owner.auth)
        .send({ price: '12.5' })
        .expect(200);
      expect(res.body).toMatchObject({ name: 'Lamp', price: '12.50', version: 2 });
      expect(res.headers.etag).toBe('"2"');
      // An update that changes nothing keeps the version.
      const same = await t.http
        .patch(`/v1/items/${item.id}`)
        .set(owner.auth)
        .send({ price: '12.50' })
        .expect(200);
      expect(same.body.version).toBe(2);
    });

    it('hides other users’ items: 404 on update and delete, item unchanged', async () => {
      const item = await create(owner, { name: 'Mine', price: '5.00' });
      await t.http
        .patch(`/v1/items/${item.id}`)
        .set(other.auth)
        .send({ name: 'Stolen' })
        .expect(404);
      await t.http.delete(`/v1/items/${item.id}`).set(other.auth).expect(404);
      const read = await t.http.get(`/v1/items/${item.id}`).expect(200);
      expect(read.body).toEqual(item);
    });

    it('lets an admin update and delete any item', async () => {
      const item = await create(owner, { name: 'Chair', price: '5.00' });
      await t.http
        .patch(`/v1/items/${item.id}`)
        .set(admin.auth)
        .send({ name: 'Stool' })
        .expect(200);
      await t.http.delete(`/v1/items/${item.id}`).set(admin.auth).expect(204);
      await t.http.get(`/v1/items/${item.id}`).expect(404);
    });

    it('rejects a stale If-Match with 412 and changes nothing', async () => {
      const item = await create(owner, { name: 'Shelf', price: '30.00' });
      await t.http
        .patch(`/v1/items/${item.id}`)
        .set(owner.auth)
        .set('If-Match', '"1"')
        .send({ name: 'Shelf v2' })
        .expect(200);
      const stale = await t.http
        .patch(`/v1/items/${item.id}`)
        .set(owner.auth)
        .set('If-Match', '"1"')
        .send({ name: 'Lost update' })
        .expect(412);
      expect(stale.headers['content-type']).toMatch(/^application\/problem\+json/);
      await t.http
        .delete(`/v1/items/${item.id}`)
        .set(owner.auth)
        .set('If-Match', '"1"')
        .expect(412);
      await t.http
        .patch(`/v1/items/${item.id}`)
        .set(owner.auth)
        .set('If-Match', 'W/"2"')
        .send({ name: 'weak' })
        .expect(412);
      const read = await t.http.get(`/v1/items/${item.id}`).expect(200);
      expect(read.body).toMatchObject({ name: 'Shelf v2', version: 2 });
      await t.http
        .delete(`/v1/items/${item.id}`)
        .set(owner.auth)
        .set('If-Match', '"2"')
        .expect(204);
    });

    it('answers 304 to If-None-Match with the current ETag', async () => {
      const item = await create(owner, { name: 'Rug', price: '80.00' });
      const res = await t.http.get(`/v1/items/${item.id}`).set('If-None-Match', '"1"').expect(304);
      expect(res.text).toBe('');
      expect(res.headers.etag).toBe('"1"');
      await t.http.get(`/v1/items/${item.id}`).set('If-None-Match', '"0", W/"1"').expect(304);
      await t.http
        .patch(`/v1/items/${item.id}`)
        .set(owner.auth)
        .send({ name: 'Big rug' })
        .expect(200);
      const fresh = await t.http
        .get(`/v1/items/${item.id}`)
        .set('If-None-Match', '"1"')
        .expect(200);
      expect(fresh.body.name).toBe('Big rug');
    });

    it.each([
      ['a null name', { name: null }],
      ['a numeric price', { price: 3 }],
      ['an ownerId', { ownerId: '0190d7a8-0000-7000-8000-000000000000' }],
      ['a version', { version: 9 }],
    ])('rejects an update with %s and keeps the item', async (_case, body) => {
      const item = await create(owner, { name: 'Kept', price: '1.00' });
      await t.http.patch(`/v1/items/${item.id}`).set(owner.auth).send(body).expect(400);
      expect((await t.http.get(`/v1/items/${item.id}`).expect(200)).body).toEqual(item);
    });

    it('refuses to delete a user who still owns items', async () => {
      const seller = await signUp(t.http);
      const item = await create(seller, { name: 'Orphan?', price: '1.00' });
      const res = await t.http.delete(`/v1/users/${seller.id}`).set(admin.auth).expect(409);
      expect(res.body).toMatchObject({ status: 409, code: 'USER.HAS_ITEMS' });
      await t.http.get(`/v1/users/${seller.id}`).set(admin.auth).expect(200);
      await t.http.delete(`/v1/items/${item.id}`).set(seller.auth).expect(204);
      await t.http.delete(`/v1/users/${seller.id}`).set(admin.auth).expect(204);
    });
  });

  describe('Idempotency-Key', () => {
    const postWithKey = (who: SignedIn, key: string, body: object) =>
      t.http.post('/v1/items').set(who.auth).set('Idempotency-Key', key).send(body);

    it('returns the first response for a retry and creates one row', async () => {
      const key = `key-${Date.now()}`;
      const body = { name: 'Once', price: '3.00' };
      const first = await postWithKey(owner, key, body).expect(201);
      const again = await postWithKey(owner, key, body).expect(201);
      expect(again.body).toEqual(first.body);
      expect(again.headers.location).toBe(first.headers.location);
      expect(again.headers['idempotent-replayed']).toBe('true');
      const rows = await db.query<unknown[]>('SELECT id FROM items WHERE name = $1', ['Once']);
      expect(rows).toHaveLength(1);
    });

    it('creates one row when requests with the same key race', async () => {
      const key = `race-${Date.now()}`;
      const body = { name: 'Raced', price: '4.00' };
      const responses = await Promise.all(
        Array.from({ length: 8 }, () => postWithKey(owner, key, body)),
      );
      expect(responses.map((r) => r.status)).toEqual(Array(8).fill(201));
      expect(new Set(responses.map((r) => (r.body as ItemBody).id)).size).toBe(1);
      const rows = await db.query<unknown[]>('SELECT id FROM items WHERE name = $1', ['Raced']);
      expect(rows).toHaveLength(1);
    });

    it('refuses the same key with another body with 422 and creates nothing', async () => {
      const key = `mismatch-${Date.now()}`;
      await postWithKey(owner, key, { name: 'A', price: '1.00' }).expect(201);
      const before = await countItems();
      const res = await postWithKey(owner, key, { name: 'B', price: '1.00' }).expect(422);
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(await countItems()).toBe(before);
    });

    it('keeps keys per user', async () => {
      const key = `shared-${Date.now()}`;
      const body = { name: 'Per user', price: '1.00' };
      const a = await postWithKey(owner, key, body).expect(201);
      const b = await postWithKey(other, key, body).expect(201);
      expect(b.body.id).not.toBe(a.body.id);
      expect(b.body.ownerId).toBe(other.id);
    });

    it('forgets a key after 24 hours', async () => {
      const key = `old-${Date.now()}`;
      const body = { name: 'Yesterday', price: '1.00' };
      const first = await postWithKey(owner, key, body).expect(201);
      await db.query(
        `UPDATE idempotency_keys SET created_at = now() - interval '25 hours' WHERE key = $1`,
        [key],
      );
      const later = await postWithKey(owner, key, body).expect(201);
      expect(later.body.id).not.toBe(first.body.id);
      expect(later.headers['idempotent-replayed']).toBeUndefined();
    });

    it('rejects a malformed key with 400', async () => {
      await t.http
        .post('/v1/items')
        .set(owner.auth)
        .set('Idempotency-Key', 'k'.repeat(256))
        .send({ name: 'x', price: '1.00' })
        .expect(400);
    });
  });

  describe('listing', () => {
    const tag = `list${Date.now()}`;
    let ours: ItemBody[] = [];

    beforeAll(async () => {
      ours = [];
      for (const [name, price] of [
        ['b', '2.00'],
        ['a', '3.00'],
        ['c', '1.00'],
        ['a', '1.00'],
        ['B', '2.00'],
      ]) {
        ours.push(await create(owner, { name: `${tag} ${name}`, price }));
      }
    });

    const walk = async (query: Record<string, string | number>) =>
      (await walkPages<ItemBody>(t.http, '/v1/items', query)).items;

    it('pages with every sort, in order, each item once', async () => {
      const byPrice = await walk({ q: tag, sort: 'price', limit: 2 });
      expect(byPrice.map((i) => i.price)).toEqual(['1.00', '1.00', '2.00', '2.00', '3.00']);
      const byPriceDesc = await walk({ q: tag, sort: '-price', limit: 2 });
      expect(byPriceDesc.map((i) => i.id)).toEqual([...byPrice].reverse().map((i) => i.id));
      const byCreated = await walk({ q: tag, sort: 'createdAt', limit: 3 });
      expect(byCreated.map((i) => i.id)).toEqual(ours.map((i) => i.id));
      const newestFirst = await walk({ q: tag, limit: 1 });
      expect(newestFirst.map((i) => i.id)).toEqual([...ours].reverse().map((i) => i.id));
      const byName = await walk({ q: tag, sort: 'name', limit: 2 });
      expect(new Set(byName.map((i) => i.id)).size).toBe(5);
      const byNameDesc = await walk({ q: tag, sort: '-name', limit: 2 });
      expect(byNameDesc.map((i) => i.id)).toEqual([...byName].reverse().map((i) => i.id));
    });

    it('matches q case-insensitively and literally', async () => {
      const upper = await walk({ q: tag.toUpperCase() });
      expect(upper).toHaveLength(5);
      await create(owner, { name: `${tag} 100% off_sale`, price: '1.00' });
      expect(await walk({ q: `${tag} 100%` })).toHaveLength(1);
      expect(await walk({ q: '%' })).toEqual(
        expect.arrayContaining([expect.objectContaining({ name: `${tag} 100% off_sale` })]),
      );
      expect(await walk({ q: `${tag} _` })).toHaveLength(0);
    });

    it('defaults to 20 per page and refuses more than 100', async () => {
      const res = await t.http.get('/v1/items').expect(200);
      expect(res.body.data.length).toBeLessThanOrEqual(20);
      await t.http.get('/v1/items?limit=100').expect(200);
      for (const bad of [
        'limit=101',
        'limit=0',
        'limit=x',
        'sort=owner',
        'sort=id',
        `q=${'q'.repeat(201)}`,
      ]) {
        const r = await t.http.get(`/v1/items?${bad}`).expect(400);
        expect(r.headers['content-type']).toMatch(/^application\/problem\+json/);
      }
    });

    it('refuses forged cursors and cursors of another sort with 400', async () => {
      const expectCursorRefused = async (query: Record<string, string>, message: string) => {
        const res = await t.http.get('/v1/items').query(query).expect(400);
        expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
        expect(res.body).toMatchObject({
          code: 'REQUEST.VALIDATION_FAILED',
          errors: [{ field: 'cursor', message }],
        });
      };
      const pages = async () =>
        (await t.http.get('/v1/items').query({ q: tag, sort: 'price', limit: 1 }).expect(200))
          .body as { data: ItemBody[]; nextCursor: string };
      const before = { items: await countItems(), page: await pages() };
      const cursor = before.page.nextCursor;
      await expectCursorRefused(
        { q: tag, sort: 'name', cursor },
        'cursor does not belong to this sort order',
      );
      const forge = (values: unknown) => Buffer.from(JSON.stringify(values)).toString('base64url');
      for (const [forged, sort, message] of [
        ['garbage', 'price', 'cursor is not valid'],
        [
          forge(['price', '1; DROP TABLE items; --', '0190d7a8-0000-7000-8000-000000000000']),
          'price',
          'cursor does not belong to this sort order',
        ],
        [forge(['price', '1.00', "' OR 1=1 --"]), 'price', 'cursor is not valid'],
        [
          forge(['-createdAt', 'not a date', '0190d7a8-0000-7000-8000-000000000000']),
          '-createdAt',
          'cursor is not valid',
        ],
        [
          forge(['price', 1, '0190d7a8-0000-7000-8000-000000000000']),
          'price',
          'cursor is not valid',
        ],
      ] as const) {
        await expectCursorRefused({ sort, cursor: forged }, message);
      }
      // Nothing ran: the same rows are there, and the genuine cursor still pages as before.
      expect(await countItems()).toBe(before.items);
      expect(await pages()).toEqual(before.page);
      const next = await t.http.get('/v1/items').query({ q: tag, sort: 'price', cursor, limit: 1 });
      expect(next.status).toBe(200);
      expect(next.body.data).toHaveLength(1);
      expect(next.body.data[0].id).not.toBe(before.page.data[0]?.id);
    });
  });

  describe('cache', () => {
    // Events of earlier writes, delivered during a read, would keep it out of the cache.
    beforeEach(() => eventsDelivered(db));

    it('serves repeated reads from the cache and a write is seen by the next read', async () => {
      const item = await create(owner, { name: 'Cached', price: '1.00' });
      const first = await t.http.get(`/v1/items/${item.id}`).expect(200);
      expect(first.headers['x-cache']).toBe('MISS');
      const second = await t.http.get(`/v1/items/${item.id}`).expect(200);
      expect(second.headers['x-cache']).toBe('HIT');

      await t.http
        .patch(`/v1/items/${item.id}`)
        .set(owner.auth)
        .send({ name: 'Changed' })
        .expect(200);
      const after = await t.http.get(`/v1/items/${item.id}`).expect(200);
      expect(after.headers['x-cache']).toBe('MISS');
      expect(after.body).toMatchObject({ name: 'Changed', version: 2 });

      await t.http.delete(`/v1/items/${item.id}`).set(owner.auth).expect(204);
      await t.http.get(`/v1/items/${item.id}`).expect(404);
    });

    it('drops cached list pages when an item is created, changed or deleted', async () => {
      const q = `fresh${Date.now()}`;
      const list = () => t.http.get('/v1/items').query({ q });
      expect((await list().expect(200)).body.data).toHaveLength(0);
      expect((await list().expect(200)).headers['x-cache']).toBe('HIT');
      const item = await create(owner, { name: `${q} one`, price: '1.00' });
      const afterCreate = await list().expect(200);
      expect(afterCreate.body.data.map((i: ItemBody) => i.id)).toEqual([item.id]);
      await list().expect(200);
      await t.http
        .patch(`/v1/items/${item.id}`)
        .set(owner.auth)
        .send({ price: '9.00' })
        .expect(200);
      expect((await list().expect(200)).body.data[0].price).toBe('9.00');
      await t.http.delete(`/v1/items/${item.id}`).set(owner.auth).expect(204);
      expect((await list().expect(200)).body.data).toHaveLength(0);
    });

    it('makes one database query for concurrent misses of one key', async () => {
      const item = await create(owner, { name: 'Popular', price: '1.00' });
      await eventsDelivered(db);
      const selects = countQueries(selectsItems);
      try {
        const responses = await Promise.all(
          Array.from({ length: 20 }, () => t.http.get(`/v1/items/${item.id}`)),
        );
        expect(responses.every((r) => r.status === 200 && r.body.id === item.id)).toBe(true);
        expect(selects.count()).toBe(1);
      } finally {
        selects.restore();
      }
    });
  });
});
