import { createHmac } from 'node:crypto';
import { signInAdmin, signUp, startTestApp, type SignedIn, type TestApp } from '@keel/testing';

function b64url(value: object): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

function hs256(
  payload: object,
  secret: string,
  header: object = { alg: 'HS256', typ: 'JWT' },
): string {
  const unsigned = `${b64url(header)}.${b64url(payload)}`;
  return `${unsigned}.${createHmac('sha256', secret).update(unsigned).digest('base64url')}`;
}

describe('security', () => {
  let t: TestApp;
  let user: SignedIn;
  const now = () => Math.floor(Date.now() / 1000);
  const claims = (sub: string, extra: object = {}) => ({
    sub,
    typ: 'access',
    iss: 'keel',
    aud: 'keel-api',
    iat: now(),
    exp: now() + 600,
    ...extra,
  });

  beforeAll(async () => {
    t = await startTestApp();
    user = await signUp(t.http);
  });
  afterAll(async () => {
    await t.close();
  });

  const expectRejected = async (token: string) => {
    const res = await t.http
      .get('/v1/users/me')
      .set('Authorization', `Bearer ${token}`)
      .expect(401);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.headers['www-authenticate']).toMatch(/^Bearer/);
    expect(res.body.code).toBe('AUTH.INVALID_ACCESS_TOKEN');
  };

  it('accepts a correctly signed token (the forgeries below differ only in one respect)', async () => {
    await t.http
      .get('/v1/users/me')
      .set('Authorization', `Bearer ${hs256(claims(user.id), t.env.JWT_SECRET)}`)
      .expect(200);
  });

  it('rejects a token with alg none', async () => {
    const token = `${b64url({ alg: 'none', typ: 'JWT' })}.${b64url(claims(user.id))}.`;
    await expectRejected(token);
  });

  it('rejects a token signed with another secret', async () => {
    await expectRejected(hs256(claims(user.id), 'another-secret-another-secret-another-secret'));
  });

  it('rejects an expired token and says so', async () => {
    const token = hs256(claims(user.id, { iat: now() - 3600, exp: now() - 60 }), t.env.JWT_SECRET);
    const res = await t.http
      .get('/v1/users/me')
      .set('Authorization', `Bearer ${token}`)
      .expect(401);
    expect(res.body.detail).toMatch(/expired/);
  });

  it('rejects a token for another issuer or audience', async () => {
    await expectRejected(hs256(claims(user.id, { iss: 'someone-else' }), t.env.JWT_SECRET));
    await expectRejected(hs256(claims(user.id, { aud: 'another-api' }), t.env.JWT_SECRET));
  });

  it('rejects a token without an expiry or an issue time', async () => {
    // JSON leaves out a key whose value is undefined: these tokens lack the claim.
    await expectRejected(hs256(claims(user.id, { exp: undefined }), t.env.JWT_SECRET));
    await expectRejected(hs256(claims(user.id, { iat: undefined }), t.env.JWT_SECRET));
  });

  it('rejects a refresh token used as an access token', async () => {
    await expectRejected(user.refreshToken);
  });

  it('rejects a missing or malformed Authorization header', async () => {
    await t.http.get('/v1/users/me').expect(401);
    await t.http.get('/v1/users/me').set('Authorization', user.accessToken).expect(401);
    await t.http.get('/v1/users/me').set('Authorization', 'Bearer ').expect(401);
  });

  it('does not let a user read, list, change or delete another user', async () => {
    const other = await signUp(t.http);
    await t.http.get(`/v1/users/${other.id}`).set(user.auth).expect(403);
    await t.http.get('/v1/users').set(user.auth).expect(403);
    await t.http
      .patch(`/v1/users/${other.id}`)
      .set(user.auth)
      .send({ displayName: 'pwned' })
      .expect(403);
    await t.http
      .patch(`/v1/users/${user.id}`)
      .set(user.auth)
      .send({ roles: ['admin'] })
      .expect(403);
    await t.http.delete(`/v1/users/${other.id}`).set(user.auth).expect(403);
    const admin = await signInAdmin(t.http);
    const unchanged = await t.http.get(`/v1/users/${other.id}`).set(admin.auth).expect(200);
    expect(unchanged.body.displayName).not.toBe('pwned');
    const me = await t.http.get('/v1/users/me').set(user.auth).expect(200);
    expect(me.body.roles).toEqual(['user']);
  });

  it('does not let a user grant themselves roles through their profile', async () => {
    await t.http
      .patch('/v1/users/me')
      .set(user.auth)
      .send({ roles: ['admin'] })
      .expect(400);
    await t.http.patch('/v1/users/me').set(user.auth).send({ disabled: false }).expect(400);
  });

  it('rejects an oversized body with 413 and stores nothing', async () => {
    const res = await t.http
      .post('/v1/auth/register')
      .set('content-type', 'application/json')
      .send(
        JSON.stringify({
          email: 'big@keel.test',
          password: 'password-long',
          displayName: 'x'.repeat(2_000_000),
        }),
      )
      .expect(413);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    await t.http
      .post('/v1/auth/login')
      .send({ email: 'big@keel.test', password: 'password-long' })
      .expect(401);
  });

  // Each case below differs from a valid body in the field under test only, so its 400 is
  // about that field; a fresh email per case, so the valid body registers.
  let emails = 0;
  const validRegistration = () => ({
    email: `valid-${++emails}-${Date.now()}@keel.test`,
    password: 'password-long',
    displayName: 'Valid Name',
  });
  const register = (body: unknown) =>
    t.http
      .post('/v1/auth/register')
      .set('content-type', 'application/json')
      .send(JSON.stringify(body));
  /** Sends a valid body with `field` set to `value`: 400 naming that field only; then the valid body itself registers. */
  const expectRefusedField = async (field: string, value: unknown) => {
    const valid = validRegistration();
    const res = await register({ ...valid, [field]: value });
    expect({ field, status: res.status, type: res.headers['content-type'] }).toEqual({
      field,
      status: 400,
      type: expect.stringMatching(/^application\/problem\+json/),
    });
    expect(res.body.code).toBe('REQUEST.VALIDATION_FAILED');
    expect(new Set((res.body.errors as Array<{ field: string }>).map((e) => e.field))).toEqual(
      new Set([field]),
    );
    await register(valid).expect(201);
  };

  it('accepts the valid body the refused ones below are made from', async () => {
    await register(validRegistration()).expect(201);
  });

  it('rejects wrong types with 400 naming the field', async () => {
    await expectRefusedField('email', 123);
    await expectRefusedField('password', ['password-long']);
    await expectRefusedField('displayName', { $gt: '' });
  });

  it('rejects fields a client may not set (mass assignment) with 400 naming the field', async () => {
    await expectRefusedField('roles', ['admin']);
    await expectRefusedField('disabled', false);
    await expectRefusedField('id', crypto.randomUUID());
  });

  it('rejects bodies that are not an object with 400', async () => {
    for (const body of [[], 'a string', null, 42]) {
      const res = await register(body);
      expect({ body, status: res.status }).toEqual({ body, status: 400 });
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    }
  });

  it('rejects prototype pollution attempts', async () => {
    const { email, password, displayName } = validRegistration();
    const res = await t.http
      .post('/v1/auth/register')
      .set('content-type', 'application/json')
      .send(
        `{"email":"${email}","password":"${password}","displayName":"${displayName}","__proto__":{"roles":["admin"]}}`,
      );
    expect(res.status).toBe(400);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    // The JSON parser refuses the key before anything reads the body (it names no field);
    // the same body without it registers, so the key is what was refused.
    expect(res.body.detail).toMatch(/not valid JSON/);
    expect(({} as Record<string, unknown>).roles).toBeUndefined();
    await register({ email, password, displayName }).expect(201);
  });

  it('answers 415 for a body that is not JSON', async () => {
    const res = await t.http
      .post('/v1/auth/login')
      .set('content-type', 'text/plain')
      .send('email=a&password=b')
      .expect(415);
    expect(res.body).toMatchObject({ status: 415, title: 'Unsupported Media Type' });
    await t.http
      .post('/v1/auth/login')
      .set('content-type', 'application/x-www-form-urlencoded')
      .send('email=a')
      .expect(415);
  });

  it('answers invalid JSON with 400', async () => {
    const res = await t.http
      .post('/v1/auth/login')
      .set('content-type', 'application/json')
      .send('{"email":')
      .expect(400);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
  });
});
