import { signInAdmin, signUp, startTestApp, type SignedIn, type TestApp } from '@keel/testing';

describe('users (admin)', () => {
  let t: TestApp;
  let admin: SignedIn;

  beforeAll(async () => {
    t = await startTestApp();
    admin = await signInAdmin(t.http);
  });
  afterAll(async () => {
    await t.close();
  });

  it('pages through every user exactly once with an opaque cursor', async () => {
    for (let i = 0; i < 7; i++) await signUp(t.http);
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const res = await t.http
        .get('/v1/users')
        .query({ limit: 3, ...(cursor ? { cursor } : {}) })
        .set(admin.auth)
        .expect(200);
      expect(res.body.data.length).toBeLessThanOrEqual(3);
      seen.push(...res.body.data.map((u: { id: string }) => u.id));
      cursor = res.body.nextCursor as string | null;
      pages += 1;
    } while (cursor);
    expect(seen.length).toBeGreaterThanOrEqual(8);
    expect(new Set(seen).size).toBe(seen.length);
    expect(pages).toBe(Math.ceil(seen.length / 3) + (seen.length % 3 === 0 ? 1 : 0));
  });

  it('rejects bad paging input with 400', async () => {
    await t.http.get('/v1/users?limit=101').set(admin.auth).expect(400);
    await t.http.get('/v1/users?limit=0').set(admin.auth).expect(400);
    await t.http.get('/v1/users?limit=abc').set(admin.auth).expect(400);
    const forged = Buffer.from(JSON.stringify(["' OR 1=1 --"])).toString('base64url');
    const res = await t.http.get(`/v1/users?cursor=${forged}`).set(admin.auth).expect(400);
    expect(res.body.errors).toEqual([{ field: 'cursor', message: 'cursor is not valid' }]);
    await t.http.get('/v1/users?cursor=%%%').set(admin.auth).expect(400);
  });

  it('reads, updates roles and deletes a user', async () => {
    const user = await signUp(t.http);
    const read = await t.http.get(`/v1/users/${user.id}`).set(admin.auth).expect(200);
    expect(read.body.email).toBe(user.email);

    const promoted = await t.http
      .patch(`/v1/users/${user.id}`)
      .set(admin.auth)
      .send({ roles: ['user', 'admin'], displayName: 'Promoted' })
      .expect(200);
    expect(promoted.body).toMatchObject({ roles: ['user', 'admin'], displayName: 'Promoted' });
    // The new role applies to the user's next request, without signing in again.
    await t.http.get('/v1/users').set(user.auth).expect(200);

    await t.http.delete(`/v1/users/${user.id}`).set(admin.auth).expect(204);
    await t.http.get(`/v1/users/${user.id}`).set(admin.auth).expect(404);
    await t.http.delete(`/v1/users/${user.id}`).set(admin.auth).expect(404);
    await t.http.get('/v1/users/me').set(user.auth).expect(401);
    await t.http.post('/v1/auth/refresh').send({ refreshToken: user.refreshToken }).expect(401);
  });

  it('validates ids and update bodies', async () => {
    const res = await t.http.get('/v1/users/not-a-uuid').set(admin.auth).expect(400);
    expect(res.body.errors).toEqual([{ field: 'id', message: 'id must be a UUID' }]);
    await t.http.get('/v1/users/00000000-0000-4000-8000-000000000000').set(admin.auth).expect(404);
    const user = await signUp(t.http);
    await t.http
      .patch(`/v1/users/${user.id}`)
      .set(admin.auth)
      .send({ roles: ['root'] })
      .expect(400);
    await t.http.patch(`/v1/users/${user.id}`).set(admin.auth).send({ roles: [] }).expect(400);
    await t.http
      .patch(`/v1/users/${user.id}`)
      .set(admin.auth)
      .send({ disabled: 'yes' })
      .expect(400);
    await t.http
      .patch(`/v1/users/${user.id}`)
      .set(admin.auth)
      .send({ email: 'new@keel.test' })
      .expect(400);
  });

  it('stops an admin from locking themselves out', async () => {
    for (const body of [{ disabled: true }, { roles: ['user'] }]) {
      const res = await t.http
        .patch(`/v1/users/${admin.id}`)
        .set(admin.auth)
        .send(body)
        .expect(409);
      expect(res.body.code).toBe('USER.SELF_LOCKOUT');
    }
    await t.http.delete(`/v1/users/${admin.id}`).set(admin.auth).expect(409);
  });

  it('lets a user rename themselves', async () => {
    const user = await signUp(t.http);
    const res = await t.http
      .patch('/v1/users/me')
      .set(user.auth)
      .send({ displayName: 'New Name' })
      .expect(200);
    expect(res.body.displayName).toBe('New Name');
    await t.http.patch('/v1/users/me').set(user.auth).send({ displayName: '' }).expect(400);
    await t.http.patch('/v1/users/me').set(user.auth).send({ displayName: null }).expect(400);
  });
});
