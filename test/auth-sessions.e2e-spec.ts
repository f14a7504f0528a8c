import { EventTransport } from '@keel/events';
import {
  eventually,
  profile,
  signInAdmin,
  signUp,
  startTestApp,
  type SignedIn,
  type TestApp,
} from '@keel/testing';
import { JwtService } from '@nestjs/jwt';
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

  /** A signed-in request; asked once before a session ends, its status is cached by then. */
  const me = (who: SignedIn) => t.http.get('/v1/users/me').set(who.auth);

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

  it("ending a session refuses its access token at once; other sessions' tokens still work", async () => {
    const user = await signUp(t.http);
    const laptop = await signInOn(user, 'Laptop Browser/1.0');
    const phone = await signInOn(user, 'Phone App/2.0');
    for (const who of [user, laptop, phone]) await me(who).expect(200);
    const target = (await sessionsOf(laptop)).find((s) => s.current)!;

    await t.http.delete(`/v1/auth/sessions/${target.id}`).set(phone.auth).expect(204);

    const refused = await me(laptop);
    expect(refused.status).toBe(401);
    expect(refused.headers['content-type']).toContain('application/problem+json');
    await me(phone).expect(200);
    await me(user).expect(200);
  });

  it('ending all other sessions refuses their access tokens at once, not the current one', async () => {
    const user = await signUp(t.http);
    const laptop = await signInOn(user, 'Laptop Browser/1.0');
    const phone = await signInOn(user, 'Phone App/2.0');
    for (const who of [user, laptop, phone]) await me(who).expect(200);

    await t.http.delete('/v1/auth/sessions').set(phone.auth).expect(204);

    await me(laptop).expect(401);
    await me(user).expect(401);
    await me(phone).expect(200);
  });

  it("an admin ending a user's sessions refuses their access tokens at once", async () => {
    const user = await signUp(t.http);
    const phone = await signInOn(user, 'Phone App/2.0');
    const other = await signUp(t.http);
    const admin = await signInAdmin(t.http);
    for (const who of [user, phone, other]) await me(who).expect(200);

    await t.http.delete(`/v1/users/${user.id}/sessions`).set(admin.auth).expect(204);

    await me(user).expect(401);
    await me(phone).expect(401);
    await me(other).expect(200);
    await me(admin).expect(200);
  });

  it("logout refuses that session's access token at once; the user's other sessions go on", async () => {
    const user = await signUp(t.http);
    const laptop = await signInOn(user, 'Laptop Browser/1.0');
    for (const who of [user, laptop]) await me(who).expect(200);

    await t.http.post('/v1/auth/logout').send({ refreshToken: laptop.refreshToken }).expect(204);

    await me(laptop).expect(401);
    await me(user).expect(200);
    expect((await sessionEndedEvents(user.id)).length).toBe(1);
  });

  it('a password change refuses the access tokens of every session at once', async () => {
    const user = await signUp(t.http);
    const laptop = await signInOn(user, 'Laptop Browser/1.0');
    for (const who of [user, laptop]) await me(who).expect(200);

    await t.http
      .post('/v1/auth/password')
      .set(user.auth)
      .send({ currentPassword: user.password, newPassword: 'a-new-password-1' })
      .expect(204);

    await me(user).expect(401);
    await me(laptop).expect(401);
    expect(await sessionEndedEvents(user.id)).toHaveLength(2);
  });

  it('an access token without a session (issued before sessions existed) still works', async () => {
    const user = await signUp(t.http);
    const sessionless = await t.app.get(JwtService).signAsync({ sub: user.id, typ: 'access' });
    await t.http.delete(`/v1/users/${user.id}/sessions`).set((await signInAdmin(t.http)).auth);
    await me(user).expect(401);
    await t.http.get('/v1/users/me').set('Authorization', `Bearer ${sessionless}`).expect(200);
  });
});

// Two instances on one database, with the broker's fan-out (full profile).
const withReplicas = profile.databaseUrl && process.env.RABBITMQ_URL ? describe : describe.skip;

withReplicas('sessions on two instances', () => {
  // The request that ends a session answers a TTL after its commit; b must refuse long before.
  const TTL_MS = 4_000;
  let a: TestApp;
  let b: TestApp;

  beforeAll(async () => {
    a = await startTestApp({ AUTH_USER_STATUS_TTL_MS: String(TTL_MS) });
    b = await startTestApp({
      DATABASE_URL: a.env.DATABASE_URL ?? '',
      REDIS_KEY_PREFIX: a.env.REDIS_KEY_PREFIX ?? '',
      JWT_SECRET: a.env.JWT_SECRET ?? '',
      AUTH_USER_STATUS_TTL_MS: String(TTL_MS),
    });
    for (const app of [a, b]) await eventually(() => app.app.get(EventTransport).connected);
  });
  afterAll(async () => {
    await b.close();
    await a.close();
  });

  it('a session ended on one instance refuses its access token on the other, on the event', async () => {
    const user = await signUp(a.http);
    const laptop = await a.http
      .post('/v1/auth/login')
      .send({ email: user.email, password: user.password })
      .expect(200);
    const laptopAuth = {
      Authorization: `Bearer ${(laptop.body as { accessToken: string }).accessToken}`,
    };
    const onB = (auth: { Authorization: string }) => b.http.get('/v1/users/me').set(auth);
    // Past the delivery of the sign-in's events, then cached on b.
    await new Promise((r) => setTimeout(r, 200));
    await onB(laptopAuth).expect(200);
    await onB(user.auth).expect(200);

    const started = Date.now();
    let answered = false;
    const ending = a.http
      .delete('/v1/auth/sessions')
      .set(user.auth)
      .expect(204)
      .then(() => (answered = true));
    while ((await onB(laptopAuth)).status !== 401) {
      if (answered) throw new Error('b refused the token only after a answered');
      await new Promise((r) => setTimeout(r, 10));
    }
    expect(answered).toBe(false);
    expect(Date.now() - started).toBeLessThan(TTL_MS / 2);
    await ending;
    await onB(laptopAuth).expect(401);
    await onB(user.auth).expect(200);
  });
});
