import {
  ADMIN,
  login,
  newUserInput,
  signInAdmin,
  signUp,
  startTestApp,
  type TestApp,
} from '@keel/testing';

describe('auth', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(async () => {
    await t.close();
  });

  it('registers, signs in and reads /v1/users/me', async () => {
    const input = newUserInput({ email: 'Grace.Hopper@Example.COM' });
    const created = await t.http.post('/v1/auth/register').send(input).expect(201);
    expect(created.body).toMatchObject({
      email: 'grace.hopper@example.com',
      displayName: input.displayName,
      roles: ['user'],
      disabled: false,
    });

    const tokens = await t.http
      .post('/v1/auth/login')
      .send({ email: 'GRACE.hopper@example.com', password: input.password })
      .expect(200);
    expect(tokens.body).toEqual({
      accessToken: expect.any(String),
      refreshToken: expect.any(String),
      tokenType: 'Bearer',
      expiresIn: 900,
    });
    const me = await t.http
      .get('/v1/users/me')
      .set('Authorization', `Bearer ${tokens.body.accessToken}`)
      .expect(200);
    expect(me.body.id).toBe(created.body.id);
  });

  it('refuses a second account with the same email in any case', async () => {
    const input = newUserInput();
    await t.http.post('/v1/auth/register').send(input).expect(201);
    const res = await t.http
      .post('/v1/auth/register')
      .send({ ...input, email: input.email.toUpperCase() })
      .expect(409);
    expect(res.body.code).toBe('USER.EMAIL_TAKEN');
  });

  it('answers an unknown email and a wrong password the same way', async () => {
    const user = await signUp(t.http);
    const wrong = await t.http
      .post('/v1/auth/login')
      .send({ email: user.email, password: 'not-the-password' })
      .expect(401);
    const unknown = await t.http
      .post('/v1/auth/login')
      .send({ email: 'nobody@keel.test', password: 'not-the-password' })
      .expect(401);
    for (const body of [wrong.body, unknown.body]) delete body.requestId;
    expect(unknown.body).toEqual(wrong.body);
  });

  it('enforces password length without truncating', async () => {
    const short = await t.http
      .post('/v1/auth/register')
      .send(newUserInput({ password: 'short' }))
      .expect(400);
    expect(short.body.errors).toEqual([expect.objectContaining({ field: 'password' })]);
    await t.http
      .post('/v1/auth/register')
      .send(newUserInput({ password: 'x'.repeat(129) }))
      .expect(400);

    const long = 'p'.repeat(127) + 'A';
    const user = newUserInput({ password: long });
    await t.http.post('/v1/auth/register').send(user).expect(201);
    await t.http.post('/v1/auth/login').send({ email: user.email, password: long }).expect(200);
    // A password that differs only in its last character is a different password.
    await t.http
      .post('/v1/auth/login')
      .send({ email: user.email, password: 'p'.repeat(127) + 'B' })
      .expect(401);
  });

  it('rejects mass assignment of roles on register', async () => {
    const res = await t.http
      .post('/v1/auth/register')
      .send({ ...newUserInput(), roles: ['admin'] })
      .expect(400);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.body.errors).toContainEqual({
      field: 'roles',
      message: 'property roles should not exist',
    });
  });

  // Rotation and reuse: test/auth-refresh.e2e-spec.ts.

  it('refuses forged, malformed and tampered refresh tokens', async () => {
    const user = await signUp(t.http);
    const [id] = user.refreshToken.split('.');
    for (const refreshToken of ['garbage', `${id}.${'A'.repeat(43)}`, `${user.refreshToken}x`]) {
      const res = await t.http.post('/v1/auth/refresh').send({ refreshToken }).expect(401);
      expect(res.body.code).toBe('AUTH.INVALID_REFRESH_TOKEN');
    }
    await t.http.post('/v1/auth/refresh').send({ refreshToken: 42 }).expect(400);
    // The genuine token is unharmed by the failed attempts.
    await t.http.post('/v1/auth/refresh').send({ refreshToken: user.refreshToken }).expect(200);
  });

  it('logout ends the session', async () => {
    const user = await signUp(t.http);
    await t.http.post('/v1/auth/logout').send({ refreshToken: user.refreshToken }).expect(204);
    await t.http.post('/v1/auth/refresh').send({ refreshToken: user.refreshToken }).expect(401);
  });

  it('changing the password revokes every refresh token and needs the current password', async () => {
    const user = await signUp(t.http);
    const second = await login(t.http, user.email, user.password);
    await t.http
      .post('/v1/auth/password')
      .set(user.auth)
      .send({ currentPassword: 'wrong-password', newPassword: 'brand-new-password' })
      .expect(401);
    await t.http
      .post('/v1/auth/password')
      .set(user.auth)
      .send({ currentPassword: user.password, newPassword: 'brand-new-password' })
      .expect(204);
    for (const token of [user.refreshToken, second.refreshToken]) {
      await t.http.post('/v1/auth/refresh').send({ refreshToken: token }).expect(401);
    }
    await t.http
      .post('/v1/auth/login')
      .send({ email: user.email, password: user.password })
      .expect(401);
    await login(t.http, user.email, 'brand-new-password');
  });

  it('a disabled user loses access at once and cannot refresh or sign in', async () => {
    const admin = await signInAdmin(t.http);
    const user = await signUp(t.http);
    await t.http.patch(`/v1/users/${user.id}`).set(admin.auth).send({ disabled: true }).expect(200);
    await t.http.get('/v1/users/me').set(user.auth).expect(401);
    await t.http.post('/v1/auth/refresh').send({ refreshToken: user.refreshToken }).expect(401);
    const res = await t.http
      .post('/v1/auth/login')
      .send({ email: user.email, password: user.password })
      .expect(403);
    expect(res.body.code).toBe('AUTH.ACCOUNT_DISABLED');
  });

  it('creates the bootstrap admin from ADMIN_EMAIL / ADMIN_PASSWORD', async () => {
    const admin = await login(t.http, ADMIN.email, ADMIN.password);
    const me = await t.http.get('/v1/users/me').set(admin.auth).expect(200);
    expect(me.body.roles).toEqual(['user', 'admin']);
  });

  it('never shows a password hash', async () => {
    const admin = await signInAdmin(t.http);
    const user = await signUp(t.http);
    const responses = [
      await t.http.get('/v1/users/me').set(user.auth),
      await t.http.get('/v1/users?limit=100').set(admin.auth),
      await t.http.get(`/v1/users/${user.id}`).set(admin.auth),
      await t.http.patch(`/v1/users/${user.id}`).set(admin.auth).send({ displayName: 'Renamed' }),
      await t.http.post('/v1/auth/register').send(newUserInput()),
    ];
    for (const res of responses) {
      expect(res.status).toBeLessThan(300);
      expect(res.text).not.toMatch(/argon2|password/i);
    }
  });
});

describe('auth rate limits', () => {
  let t: TestApp;
  // Each test counts from its own client address (through the trusted proxy's header), so
  // none depends on the hits another left behind and each passes alone (`-t`).
  let clients = 0;
  const newClient = () => `198.51.100.${++clients}`;

  beforeAll(async () => {
    t = await startTestApp({
      TRUST_PROXY: '1',
      AUTH_RATE_LIMIT_PER_IP: '6',
      AUTH_RATE_LIMIT_PER_ACCOUNT: '3',
      AUTH_RATE_LIMIT_WINDOW_SECONDS: '60',
    });
  });
  afterAll(async () => {
    await t.close();
  });

  it('limits logins per account with 429, Retry-After and RateLimit headers', async () => {
    const client = newClient();
    const body = { email: 'victim@keel.test', password: 'guess-guess' };
    const login = () => t.http.post('/v1/auth/login').set('X-Forwarded-For', client).send(body);
    for (let i = 0; i < 3; i++) {
      const res = await login().expect(401);
      expect(res.headers['ratelimit-remaining']).toBe(String(2 - i));
    }
    const limited = await login().expect(429);
    expect(limited.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
    expect(Number(limited.headers['retry-after'])).toBeLessThanOrEqual(60);
    expect(limited.headers['ratelimit-limit']).toBe('3');
    expect(limited.body).toMatchObject({ status: 429, code: 'REQUEST.RATE_LIMITED' });
  });

  it('limits per client address across accounts', async () => {
    const client = newClient();
    const login = (n: number) =>
      t.http
        .post('/v1/auth/login')
        .set('X-Forwarded-For', client)
        .send({ email: `per-address-${n}@keel.test`, password: 'guess-guess' });
    // Six accounts, one attempt each: under every per-account limit, at the address's limit.
    for (let n = 1; n <= 6; n++) await login(n).expect(401);
    const limited = await login(7).expect(429);
    expect(limited.headers['ratelimit-limit']).toBe('6');
    await t.http
      .post('/v1/auth/refresh')
      .set('X-Forwarded-For', client)
      .send({ refreshToken: 'whatever' })
      .expect(429);
    // Another address is not affected.
    await t.http
      .post('/v1/auth/login')
      .set('X-Forwarded-For', newClient())
      .send({ email: 'per-address-8@keel.test', password: 'guess-guess' })
      .expect(401);
  });
});

describe('auth rate limits behind a trusted proxy', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp({ TRUST_PROXY: '1', AUTH_RATE_LIMIT_PER_IP: '2' });
  });
  afterAll(async () => {
    await t.close();
  });

  it('counts each client address from X-Forwarded-For separately', async () => {
    const attempt = (client: string, n: number) =>
      t.http
        .post('/v1/auth/login')
        .set('X-Forwarded-For', client)
        .send({ email: `someone${n}@keel.test`, password: 'guess-guess' });
    expect((await attempt('203.0.113.1', 1)).status).toBe(401);
    expect((await attempt('203.0.113.1', 2)).status).toBe(401);
    expect((await attempt('203.0.113.1', 3)).status).toBe(429);
    expect((await attempt('203.0.113.2', 4)).status).toBe(401);
  });
});
