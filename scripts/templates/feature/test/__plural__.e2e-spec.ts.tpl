import { signUp, startTestApp, type SignedIn, type TestApp } from '@keel/testing';
import { getDataSourceToken } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';

interface __Singular__Body {
  id: string;
  name: string;
  ownerId: string;
  createdAt: string;
  updatedAt: string;
}

const PROBLEM = /^application\/problem\+json/;

describe('__plural_words__', () => {
  let t: TestApp;
  let owner: SignedIn;
  let other: SignedIn;
  let db: DataSource;

  beforeAll(async () => {
    t = await startTestApp();
    owner = await signUp(t.http);
    other = await signUp(t.http);
    db = t.app.get<DataSource>(getDataSourceToken());
  });
  afterAll(async () => {
    await t.close();
  });

  const create = async (who: SignedIn, name: string) =>
    (await t.http.post('/v1/__plural__').set(who.auth).send({ name }).expect(201))
      .body as __Singular__Body;
  const countRows = async () =>
    Number(
      (await db.query<Array<{ n: string }>>('SELECT count(*) AS n FROM __plural_snake__'))[0]?.n,
    );

  it('creates one with Location, records its event in the outbox, and reads it back', async () => {
    const res = await t.http
      .post('/v1/__plural__')
      .set(owner.auth)
      .send({ name: '  First  ' })
      .expect(201);
    const created = res.body as __Singular__Body;
    expect(created).toEqual({
      id: expect.stringMatching(/^[0-9a-f-]{36}$/),
      name: 'First',
      ownerId: owner.id,
      createdAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT.*Z$/),
      updatedAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT.*Z$/),
    });
    expect(res.headers.location).toBe(`/v1/__plural__/${created.id}`);

    const events = await db.query<Array<Record<string, unknown>>>(
      `SELECT type, aggregate_type AS "aggregateType", actor_id AS "actorId", data
       FROM outbox WHERE aggregate_id = $1`,
      [created.id],
    );
    expect(events).toEqual([
      {
        type: '__singular_snake__.created',
        aggregateType: '__singular_snake__',
        actorId: owner.id,
        data: { __singularCamel__: created },
      },
    ]);

    const read = await t.http.get(`/v1/__plural__/${created.id}`).set(owner.auth).expect(200);
    expect(read.body).toEqual(created);
  });

  it("answers 404 problem+json for an unknown id and for someone else's", async () => {
    const theirs = await create(other, 'Not yours');
    for (const id of ['0190d7a8-0000-7000-8000-000000000000', theirs.id]) {
      const res = await t.http.get(`/v1/__plural__/${id}`).set(owner.auth).expect(404);
      expect(res.headers['content-type']).toMatch(PROBLEM);
      expect(res.body).toMatchObject({
        status: 404,
        code: '__SINGULAR_CODE__.NOT_FOUND',
        instance: `/v1/__plural__/${id}`,
      });
    }
  });

  it('answers 400 problem+json for an id that is not a UUID', async () => {
    const res = await t.http.get('/v1/__plural__/not-a-uuid').set(owner.auth).expect(400);
    expect(res.headers['content-type']).toMatch(PROBLEM);
  });

  it.each([
    ['no name', {}, 'name'],
    ['a blank name', { name: '   ' }, 'name'],
    ['a name of 201 characters', { name: 'n'.repeat(201) }, 'name'],
    ['a number as name', { name: 7 }, 'name'],
    ['an unknown field', { name: 'ok', ownerId: '0190d7a8-0000-7000-8000-000000000000' }, 'ownerId'],
  ])('refuses %s with 400 problem+json naming the field, and stores nothing', async (_case, body, field) => {
    const before = await countRows();
    const res = await t.http.post('/v1/__plural__').set(owner.auth).send(body).expect(400);
    expect(res.headers['content-type']).toMatch(PROBLEM);
    expect(res.body).toMatchObject({ status: 400, code: 'REQUEST.VALIDATION_FAILED' });
    const fields = (res.body.errors as Array<{ field: string }>).map((e) => e.field);
    expect([...new Set(fields)]).toEqual([field]);
    expect(await countRows()).toBe(before);
  });

  it('needs a signed-in user to create or read', async () => {
    const mine = await create(owner, 'Mine');
    const before = await countRows();
    const post = await t.http.post('/v1/__plural__').send({ name: 'anonymous' }).expect(401);
    expect(post.headers['content-type']).toMatch(PROBLEM);
    const get = await t.http.get(`/v1/__plural__/${mine.id}`).expect(401);
    expect(get.headers['content-type']).toMatch(PROBLEM);
    expect(await countRows()).toBe(before);
  });
});
