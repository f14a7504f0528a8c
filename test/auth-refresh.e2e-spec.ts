import { login, signUp, startTestApp, type SignedIn, type TestApp } from '@keel/testing';

interface Tokens {
  accessToken: string;
  refreshToken: string;
}

describe('refresh token rotation', () => {
  let t: TestApp;

  const refresh = (refreshToken: string) => t.http.post('/v1/auth/refresh').send({ refreshToken });
  const me = (tokens: Tokens) =>
    t.http.get('/v1/users/me').set('Authorization', `Bearer ${tokens.accessToken}`);

  describe('within the reuse grace window', () => {
    beforeAll(async () => {
      t = await startTestApp();
    });
    afterAll(async () => {
      await t.close();
    });

    it('rotates refresh tokens: each works once', async () => {
      const user = await signUp(t.http);
      const first = await refresh(user.refreshToken).expect(200);
      expect(first.body.refreshToken).not.toBe(user.refreshToken);
      await me(first.body as Tokens).expect(200);
      const second = await refresh((first.body as Tokens).refreshToken).expect(200);
      expect(second.body.refreshToken).not.toBe(first.body.refreshToken);
    });

    it('gives two tabs refreshing at once the same successor, and keeps both signed in', async () => {
      const user = await signUp(t.http);
      const both = await Promise.all([refresh(user.refreshToken), refresh(user.refreshToken)]);
      expect(both.map((r) => r.status)).toEqual([200, 200]);
      const [a, b] = both.map((r) => r.body as Tokens);
      expect(a.refreshToken).toBe(b.refreshToken);
      await me(a).expect(200);
      await me(b).expect(200);
      // The shared successor is an ordinary token of the family: it rotates once more.
      await refresh(a.refreshToken).expect(200);
    });

    it('does the same for a second tab 50 ms behind', async () => {
      const user = await signUp(t.http);
      const first = refresh(user.refreshToken);
      await new Promise((r) => setTimeout(r, 50));
      const [a, b] = (await Promise.all([first, refresh(user.refreshToken)])).map((r) => {
        expect(r.status).toBe(200);
        return r.body as Tokens;
      });
      expect(b.refreshToken).toBe(a.refreshToken);
      await me(b).expect(200);
    });

    it('treats it as reuse once the successor itself was rotated, and revokes the family', async () => {
      const user = await signUp(t.http);
      const rotated = (await refresh(user.refreshToken).expect(200)).body as Tokens;
      const next = (await refresh(rotated.refreshToken).expect(200)).body as Tokens;
      const replay = await refresh(user.refreshToken).expect(401);
      expect(replay.body.code).toBe('AUTH.REFRESH_TOKEN_REUSED');
      // The thief's replay also ended the legitimate holder's newest token.
      const after = await refresh(next.refreshToken).expect(401);
      expect(after.body.code).toBe('AUTH.INVALID_REFRESH_TOKEN');
      // Another sign-in is a separate family and still works.
      const other: SignedIn = await login(t.http, user.email, user.password);
      await refresh(other.refreshToken).expect(200);
    });
  });

  describe('after the reuse grace window', () => {
    beforeAll(async () => {
      t = await startTestApp({ REFRESH_REUSE_GRACE_SECONDS: '1' });
    });
    afterAll(async () => {
      await t.close();
    });

    it('revokes the whole family, the successor included', async () => {
      const user = await signUp(t.http);
      const rotated = (await refresh(user.refreshToken).expect(200)).body as Tokens;
      // Any wait beyond the one-second window will do.
      await new Promise((r) => setTimeout(r, 1_500));
      const replay = await refresh(user.refreshToken).expect(401);
      expect(replay.body.code).toBe('AUTH.REFRESH_TOKEN_REUSED');
      const after = await refresh(rotated.refreshToken).expect(401);
      expect(after.body.code).toBe('AUTH.INVALID_REFRESH_TOKEN');
    });
  });
});
