import {
  signUp,
  startOidcProvider,
  startTestApp,
  type ProviderAccount,
  type TestApp,
  type TestOidcProvider,
} from '@keel/testing';
import { getDataSourceToken } from '@nestjs/typeorm';
import { Secret, TOTP } from 'otpauth';
import { createHash, generateKeyPairSync, randomBytes } from 'node:crypto';
import type { DataSource } from 'typeorm';

/** Keel's PUBLIC_URL here; nothing listens there: the test carries the redirect back itself. */
const PUBLIC_URL = 'http://127.0.0.1:9/app';
const REDIRECT_URI = `${PUBLIC_URL}/v1/auth/oidc/callback`;

interface Tokens {
  accessToken: string;
  refreshToken: string;
}

describe('single sign-on (OpenID Connect)', () => {
  let provider: TestOidcProvider;
  let t: TestApp;
  let db: DataSource;

  beforeAll(async () => {
    provider = await startOidcProvider(REDIRECT_URI);
    t = await startTestApp(provider.env(PUBLIC_URL));
    db = t.app.get<DataSource>(getDataSourceToken());
  });
  afterAll(async () => {
    await t?.close();
    await provider?.close();
  });
  afterEach(() => {
    provider.tamper = null;
  });

  const newAccount = (overrides: ProviderAccount = {}): ProviderAccount => ({
    email: `sso-${randomBytes(4).toString('hex')}@keel.test`,
    email_verified: true,
    name: 'Grace Hopper',
    ...overrides,
  });

  /** Starts at Keel, signs in at the provider: the callback's query and this browser's cookie. */
  async function atProvider(account: ProviderAccount): Promise<{ query: string; cookie: string }> {
    const start = await t.http.get('/v1/auth/oidc/authorize').expect(302);
    const location = start.headers.location;
    expect(location.startsWith(`${provider.issuer}/auth?`)).toBe(true);
    const cookie = (start.headers['set-cookie'] as unknown as string[])[0].split(';')[0];
    const back = await provider.signIn(location, account, REDIRECT_URI);
    return { query: back.search.slice(1), cookie };
  }

  const callback = (query: string, cookie: string) =>
    t.http.get(`/v1/auth/oidc/callback?${query}`).set('Cookie', cookie);

  async function signInWith(account: ProviderAccount): Promise<Tokens> {
    const { query, cookie } = await atProvider(account);
    const res = await callback(query, cookie).expect(200);
    return res.body as Tokens;
  }

  const me = async (tokens: Tokens) =>
    (
      await t.http
        .get('/v1/users/me')
        .set('Authorization', `Bearer ${tokens.accessToken}`)
        .expect(200)
    ).body as { id: string; email: string; displayName: string };

  const identitiesOf = async (userId: string) =>
    db.query<Array<{ issuer: string; subject: string }>>(
      `SELECT issuer, subject FROM user_identities WHERE user_id = $1`,
      [userId],
    );

  const eventsOf = async (aggregateId: string) =>
    db.query<Array<{ type: string; data: Record<string, unknown> }>>(
      `SELECT type, data FROM outbox WHERE aggregate_id = $1 ORDER BY seq`,
      [aggregateId],
    );

  const problemCode = (body: unknown) => (body as { code?: string }).code;

  it('authorize sends the browser to the provider with state, nonce and an S256 PKCE challenge', async () => {
    const res = await t.http.get('/v1/auth/oidc/authorize').expect(302);
    const url = new URL(res.headers.location);
    expect(Object.fromEntries(url.searchParams)).toMatchObject({
      client_id: provider.clientId,
      redirect_uri: REDIRECT_URI,
      response_type: 'code',
      scope: 'openid email profile',
      code_challenge_method: 'S256',
    });
    for (const param of ['state', 'nonce', 'code_challenge'])
      expect(url.searchParams.get(param)).toMatch(/^[\w-]{43,}$/);
    const cookie = (res.headers['set-cookie'] as unknown as string[])[0];
    expect(cookie).toBe(
      `keel_oidc_state=${url.searchParams.get('state')}; Path=/app/v1/auth/oidc; Max-Age=600; HttpOnly; SameSite=Lax`,
    );
    // Stored server-side for any replica, the state only as a hash.
    const rows = await db.query<unknown[]>(`SELECT * FROM oidc_logins`);
    expect(JSON.stringify(rows)).not.toContain(url.searchParams.get('state'));
  });

  it('a full login creates the account and gives a Keel session; the next login reuses it', async () => {
    const account = newAccount();
    const first = await signInWith(account);
    const user = await me(first);
    expect(user).toMatchObject({ email: account.email, displayName: 'Grace Hopper' });
    expect(await identitiesOf(user.id)).toEqual([
      { issuer: provider.issuer, subject: provider.accountId(account) },
    ]);
    // The same session as a password login: listed, and its refresh token rotates.
    const auth = { Authorization: `Bearer ${first.accessToken}` };
    const sessions = await t.http.get('/v1/auth/sessions').set(auth).expect(200);
    expect((sessions.body as { data: unknown[] }).data).toHaveLength(1);
    await t.http.post('/v1/auth/refresh').send({ refreshToken: first.refreshToken }).expect(200);

    const second = await signInWith(account);
    expect((await me(second)).id).toBe(user.id);
    expect(await identitiesOf(user.id)).toHaveLength(1);
    const events = await eventsOf(user.id);
    expect(events.map((e) => e.type)).toEqual(['user.registered', 'auth.sso_linked']);
    expect(events[1].data).toEqual({
      issuer: provider.issuer,
      subject: provider.accountId(account),
      newAccount: true,
    });

    // No usable password: an SSO account cannot be entered with an empty or guessed one.
    await t.http.post('/v1/auth/login').send({ email: account.email, password: '' }).expect(400);
    await t.http
      .post('/v1/auth/login')
      .send({ email: account.email, password: 'password' })
      .expect(401);
  });

  it('with TOTP on, answers the same challenge as a password login, and the code gives the session', async () => {
    const account = newAccount();
    const auth = { Authorization: `Bearer ${(await signInWith(account)).accessToken}` };
    const enrolment = await t.http.post('/v1/auth/mfa/totp').set(auth).expect(201);
    const secret = Secret.fromBase32(
      new URL((enrolment.body as { otpauthUri: string }).otpauthUri).searchParams.get('secret')!,
    );
    const code = (steps: number) =>
      TOTP.generate({ secret, period: 30, digits: 6, timestamp: Date.now() + steps * 30_000 });
    await t.http
      .post('/v1/auth/mfa/totp/confirm')
      .set(auth)
      .send({ code: code(-1) })
      .expect(200);

    const { query, cookie } = await atProvider(account);
    const res = await callback(query, cookie).expect(200);
    expect(res.body).toEqual({ mfaRequired: true, challenge: expect.any(String), expiresIn: 300 });
    const { challenge } = res.body as { challenge: string };
    const verified = await t.http
      .post('/v1/auth/mfa/verify')
      .send({ challenge, code: code(1) })
      .expect(200);
    expect(verified.body).toHaveProperty('accessToken');
  });

  it('refuses a forged state, and a state without the cookie of the browser that started it', async () => {
    const { query, cookie } = await atProvider(newAccount());
    const forged = randomBytes(32).toString('base64url');
    const params = new URLSearchParams(query);
    params.set('state', forged);
    const res = await callback(params.toString(), `keel_oidc_state=${forged}`).expect(401);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(problemCode(res.body)).toBe('AUTH.SSO_INVALID_STATE');

    // The genuine state from another browser (no cookie, or another sign-in's) is refused too,
    await callback(query, '').expect(401);
    await callback(query, `keel_oidc_state=${forged}`).expect(401);
    // and was not used up by those attempts: this browser still finishes.
    await callback(query, cookie).expect(200);
  });

  it('refuses a replayed state', async () => {
    const { query, cookie } = await atProvider(newAccount());
    await callback(query, cookie).expect(200);
    const res = await callback(query, cookie).expect(401);
    expect(problemCode(res.body)).toBe('AUTH.SSO_INVALID_STATE');
  });

  it('refuses an expired state', async () => {
    const { query, cookie } = await atProvider(newAccount());
    const state = new URLSearchParams(query).get('state') ?? '';
    const hash = createHash('sha256').update(state).digest('hex');
    await db.query(
      `UPDATE oidc_logins SET expires_at = now() - interval '1 second' WHERE state_hash = $1`,
      [hash],
    );
    const res = await callback(query, cookie).expect(401);
    expect(problemCode(res.body)).toBe('AUTH.SSO_INVALID_STATE');
  });

  it('refuses an ID token with a wrong nonce (re-signed with the provider’s own key)', async () => {
    // The rewrite itself is sound: the same token re-signed unchanged is accepted.
    provider.tamper = (token) => ({ ...token, key: provider.signingKey });
    await signInWith(newAccount());

    provider.tamper = (token) => ({
      ...token,
      payload: { ...token.payload, nonce: randomBytes(16).toString('base64url') },
      key: provider.signingKey,
    });
    const account = newAccount();
    const { query, cookie } = await atProvider(account);
    const res = await callback(query, cookie).expect(401);
    expect(problemCode(res.body)).toBe('AUTH.SSO_FAILED');
    const [created] = await db.query<unknown[]>(`SELECT id FROM users WHERE email = $1`, [
      account.email,
    ]);
    expect(created).toBeUndefined();
    expect(await eventsOf('oidc')).toContainEqual({
      type: 'auth.login_failed',
      data: { method: 'oidc', reason: 'invalid_response' },
    });
  });

  it('refuses an ID token signed by another key, under the provider’s key id or another', async () => {
    const { privateKey: otherKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    for (const kid of ['keel-test-provider', 'someone-else']) {
      provider.tamper = (token) => ({
        header: { ...token.header, kid },
        payload: token.payload,
        key: otherKey,
      });
      const { query, cookie } = await atProvider(newAccount());
      const res = await callback(query, cookie).expect(401);
      expect(problemCode(res.body)).toBe('AUTH.SSO_FAILED');
    }
  });

  it('an unverified email cannot take over an existing password account', async () => {
    const owner = await signUp(t.http);
    const { query, cookie } = await atProvider(
      newAccount({ email: owner.email.toUpperCase(), email_verified: false }),
    );
    const res = await callback(query, cookie).expect(409);
    expect(problemCode(res.body)).toBe('AUTH.SSO_ACCOUNT_EXISTS');
    expect(await identitiesOf(owner.id)).toEqual([]);
    expect((await eventsOf(owner.id)).map((e) => e.type)).toContain('auth.login_failed');
    // Nor can one without a verified email make a new account.
    const stranger = await atProvider(newAccount({ email_verified: false }));
    const refused = await callback(stranger.query, stranger.cookie).expect(403);
    expect(problemCode(refused.body)).toBe('AUTH.SSO_EMAIL_UNVERIFIED');
  });

  it('a verified email links the existing account', async () => {
    const owner = await signUp(t.http);
    const account = newAccount({ email: owner.email });
    const tokens = await signInWith(account);
    expect((await me(tokens)).id).toBe(owner.id);
    expect(await identitiesOf(owner.id)).toEqual([
      { issuer: provider.issuer, subject: provider.accountId(account) },
    ]);
    const linked = (await eventsOf(owner.id)).find((e) => e.type === 'auth.sso_linked');
    expect(linked?.data).toMatchObject({ newAccount: false });
    // The password keeps working beside it.
    await t.http
      .post('/v1/auth/login')
      .send({ email: owner.email, password: owner.password })
      .expect(200);
  });

  it('refuses a disabled account, and records why', async () => {
    const account = newAccount();
    const user = await me(await signInWith(account));
    await db.query('UPDATE users SET disabled = true WHERE id = $1', [user.id]);
    const { query, cookie } = await atProvider(account);
    const res = await callback(query, cookie).expect(403);
    expect(problemCode(res.body)).toBe('AUTH.ACCOUNT_DISABLED');
    const failed = (await eventsOf(user.id)).filter((e) => e.type === 'auth.login_failed');
    expect(failed.map((e) => e.data.reason)).toEqual(['disabled']);
  });
});

describe('single sign-on when the provider is down', () => {
  let provider: TestOidcProvider;
  let t: TestApp;
  beforeAll(async () => {
    provider = await startOidcProvider(REDIRECT_URI);
    t = await startTestApp(provider.env(PUBLIC_URL));
  });
  afterAll(async () => {
    await t?.close();
  });

  it('answers 503 with Retry-After, at the callback and at the next authorize', async () => {
    // Discovery and the sign-in at the provider happen while it is up...
    const start = await t.http.get('/v1/auth/oidc/authorize').expect(302);
    const cookie = (start.headers['set-cookie'] as unknown as string[])[0].split(';')[0];
    const back = await provider.signIn(
      start.headers.location,
      { email: 'down@keel.test', email_verified: true },
      REDIRECT_URI,
    );
    // ...then it goes away before the code is exchanged.
    await provider.close();
    const res = await t.http.get(`/v1/auth/oidc/callback${back.search}`).set('Cookie', cookie);
    expect(res.status).toBe(503);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.headers['retry-after']).toBe('5');
    expect(res.body).toMatchObject({
      detail: 'The identity provider did not answer. Try again shortly.',
    });
    // Discovery is cached; authorize needs no call to the provider and still answers.
    await t.http.get('/v1/auth/oidc/authorize').expect(302);
  });
});

describe('single sign-on when not configured', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(async () => {
    await t?.close();
  });

  it('answers a 404 problem on both routes', async () => {
    for (const path of ['/v1/auth/oidc/authorize', '/v1/auth/oidc/callback?code=x&state=y']) {
      const res = await t.http.get(path).expect(404);
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(res.body).toMatchObject({
        detail: 'Single sign-on is not configured on this server.',
      });
    }
  });
});
