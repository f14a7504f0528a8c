import { signInAdmin, signUp, startTestApp, type SignedIn, type TestApp } from '@keel/testing';
import { getDataSourceToken } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';

interface SessionBody {
  id: string;
  userAgent: string | null;
  ipAddress: string | null;
  createdAt: string;
  lastUsedAt: string;
  current: boolean;
}

/** Sessions: one per sign-in (refresh-token family), listed and ended by their owner or an admin. */
describe('sessions', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(async () => {
    await t.close();
  });

  /** Another sign-in of `user` from a device named `device`. */
  async function signInOn(user: SignedIn, device: string): Promise<SignedIn> {
    const res = await t.http
      .post('/v1/auth/login')
      .set('User-Agent', device)
      .send({ email: user.email, password: user.password })
      .expect(200);
    const body = res.body as { accessToken: string; refreshToken: string };
    return { ...user, ...body, auth: { Authorization: `Bearer ${body.accessToken}` } };
  }

  async function sessionsOf(who: SignedIn): Promise<SessionBody[]> {
    const res = await t.http.get('/v1/auth/sessions').set(who.auth).expect(200);
    return (res.body as { data: SessionBody[] }).data;
  }

  const refresh = (refreshToken: string) => t.http.post('/v1/auth/refresh').send({ refreshToken });

  async function sessionEndedEvents(userId: string): Promise<Array<{ aggregate_id: string }>> {
    return t.app
      .get<DataSource>(getDataSourceToken())
      .query(
        `SELECT aggregate_id FROM outbox WHERE type = 'auth.session_ended' AND data->>'userId' = $1`,
        [userId],
      );
  }

  it('lists my sessions with device and address, the current one marked', async () => {
    const user = await signUp(t.http);
    const laptop = await signInOn(user, 'Laptop Browser/1.0');
    const phone = await signInOn(user, 'Phone App/2.0');

    const seen = await sessionsOf(phone);
    const byDevice = new Map(seen.map((s) => [s.userAgent, s]));
    expect(byDevice.get('Laptop Browser/1.0')).toMatchObject({ current: false });
    expect(byDevice.get('Phone App/2.0')).toMatchObject({ current: true });
    expect(seen).toHaveLength(3);
    expect(seen.filter((s) => s.current)).toHaveLength(1);
    for (const s of seen) {
      expect(s.ipAddress).toMatch(/^(::ffff:)?127\.0\.0\.1$|^::1$/);
      expect(Date.parse(s.createdAt)).not.toBeNaN();
      expect(Date.parse(s.lastUsedAt)).not.toBeNaN();
    }
    // Another device's listing marks its own session.
    const fromLaptop = await sessionsOf(laptop);
    expect(fromLaptop.find((s) => s.current)?.userAgent).toBe('Laptop Browser/1.0');
  });

  it('a refresh keeps the session and the access token it issues still marks it current', async () => {
    const user = await signUp(t.http);
    const phone = await signInOn(user, 'Phone App/2.0');
    const before = (await sessionsOf(phone)).find((s) => s.current)!;
    const res = await refresh(phone.refreshToken).expect(200);
    const after = await sessionsOf({
      ...phone,
      auth: { Authorization: `Bearer ${(res.body as { accessToken: string }).accessToken}` },
    });
    const current = after.find((s) => s.current)!;
    expect(current.id).toBe(before.id);
    expect(Date.parse(current.lastUsedAt)).toBeGreaterThanOrEqual(Date.parse(before.lastUsedAt));
  });

  it('ending a session refuses its refresh token and records auth.session_ended', async () => {
    const user = await signUp(t.http);
    const laptop = await signInOn(user, 'Laptop Browser/1.0');
    const phone = await signInOn(user, 'Phone App/2.0');
    const target = (await sessionsOf(phone)).find((s) => s.userAgent === 'Laptop Browser/1.0')!;

    await t.http.delete(`/v1/auth/sessions/${target.id}`).set(phone.auth).expect(204);

    await refresh(laptop.refreshToken).expect(401);
    await refresh(phone.refreshToken).expect(200);
    expect((await sessionsOf(phone)).map((s) => s.id)).not.toContain(target.id);
    expect((await sessionEndedEvents(user.id)).map((e) => e.aggregate_id)).toEqual([target.id]);
  });

  it('a refresh token rotated before its session ended is refused too', async () => {
    const user = await signUp(t.http);
    const laptop = await signInOn(user, 'Laptop Browser/1.0');
    const rotated = (await refresh(laptop.refreshToken).expect(200)).body as {
      refreshToken: string;
    };
    const target = (await sessionsOf(laptop)).find((s) => s.current)!;
    await t.http.delete(`/v1/auth/sessions/${target.id}`).set(user.auth).expect(204);
    await refresh(rotated.refreshToken).expect(401);
  });

  it('an ended session refuses a token that escaped revocation (a rotation racing the end)', async () => {
    const user = await signUp(t.http);
    const laptop = await signInOn(user, 'Laptop Browser/1.0');
    const target = (await sessionsOf(laptop)).find((s) => s.current)!;
    await t.http.delete(`/v1/auth/sessions/${target.id}`).set(user.auth).expect(204);
    // What a successor inserted by a rotation committing during the end looks like.
    await t.app
      .get<DataSource>(getDataSourceToken())
      .query('UPDATE refresh_tokens SET revoked_at = NULL WHERE family_id = $1', [target.id]);
    await refresh(laptop.refreshToken).expect(401);
  });

  it('ending all sessions keeps the current one', async () => {
    const user = await signUp(t.http);
    const laptop = await signInOn(user, 'Laptop Browser/1.0');
    const phone = await signInOn(user, 'Phone App/2.0');

    await t.http.delete('/v1/auth/sessions').set(phone.auth).expect(204);

    await refresh(laptop.refreshToken).expect(401);
    await refresh(user.refreshToken).expect(401);
    await refresh(phone.refreshToken).expect(200);
    const left = await sessionsOf(phone);
    expect(left.map((s) => s.userAgent)).toEqual(['Phone App/2.0']);
    expect(await sessionEndedEvents(user.id)).toHaveLength(2);
  });

  it("another user's session id is a 404 and leaves that session alone", async () => {
    const owner = await signUp(t.http);
    const stranger = await signUp(t.http);
    const [session] = await sessionsOf(owner);
    const res = await t.http.delete(`/v1/auth/sessions/${session.id}`).set(stranger.auth);
    expect(res.status).toBe(404);
    expect(res.headers['content-type']).toContain('application/problem+json');
    await refresh(owner.refreshToken).expect(200);
  });

  it("an admin ends all of a user's sessions; non-admins may not", async () => {
    const user = await signUp(t.http);
    const phone = await signInOn(user, 'Phone App/2.0');
    const other = await signUp(t.http);
    const admin = await signInAdmin(t.http);

    await t.http.delete(`/v1/users/${user.id}/sessions`).set(other.auth).expect(403);
    await t.http.delete(`/v1/users/${user.id}/sessions`).set(admin.auth).expect(204);

    await refresh(user.refreshToken).expect(401);
    await refresh(phone.refreshToken).expect(401);
    await refresh(other.refreshToken).expect(200);
    expect(await sessionEndedEvents(user.id)).toHaveLength(2);
    await t.http
      .delete('/v1/users/00000000-0000-4000-8000-000000000000/sessions')
      .set(admin.auth)
      .expect(404);
  });
});
