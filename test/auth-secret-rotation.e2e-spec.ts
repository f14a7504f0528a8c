import {
  createTestDatabase,
  profile,
  signUp,
  startTestApp,
  tempDataDir,
  type SignedIn,
  type TestApp,
} from '@keel/testing';
import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { Secret, TOTP } from 'otpauth';

const STEP_MS = 30_000;
const newSecret = () => randomBytes(32).toString('hex');
const code = (secret: string, steps: number) =>
  TOTP.generate({
    secret: Secret.fromBase32(secret),
    period: 30,
    digits: 6,
    algorithm: 'SHA1',
    timestamp: Date.now() + steps * STEP_MS,
  });

/**
 * Replacing JWT_SECRET (say, after a leak) must not turn off everyone's two-factor: the TOTP
 * secrets are sealed by the ENCRYPTION_KEYS ring, which can keep the old key as an opener.
 */
describe('rotating JWT_SECRET', () => {
  const dataDir = tempDataDir('keel-rotation-');
  let database: { url: string; drop: () => Promise<void> } | undefined;
  let app: TestApp | undefined;
  const oldSecret = newSecret();
  let user: SignedIn & { totp: string; recoveryCodes: string[] };

  /** The app on the same data (embedded server in DATA_DIR, or the same database). */
  async function start(env: Record<string, string>): Promise<TestApp> {
    await app?.close();
    app = await startTestApp({
      DATA_DIR: dataDir,
      ...(database ? { DATABASE_URL: database.url } : {}),
      ...env,
    });
    return app;
  }

  const challenge = async (t: TestApp): Promise<string> =>
    (
      (
        await t.http
          .post('/v1/auth/login')
          .send({ email: user.email, password: user.password })
          .expect(200)
      ).body as { challenge: string }
    ).challenge;

  beforeAll(async () => {
    if (profile.databaseUrl) database = await createTestDatabase(profile.databaseUrl);
    const t = await start({ JWT_SECRET: oldSecret });
    const signedUp = await signUp(t.http);
    const res = await t.http.post('/v1/auth/mfa/totp').set(signedUp.auth).expect(201);
    const totp = new URL((res.body as { otpauthUri: string }).otpauthUri).searchParams.get(
      'secret',
    )!;
    const confirmed = await t.http
      .post('/v1/auth/mfa/totp/confirm')
      .set(signedUp.auth)
      .send({ code: code(totp, -1) })
      .expect(200);
    user = { ...signedUp, totp, ...(confirmed.body as { recoveryCodes: string[] }) };
  });
  afterAll(async () => {
    await app?.close();
    await database?.drop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('with the old secret kept in ENCRYPTION_KEYS, old tokens are refused but TOTP still works', async () => {
    const newKey = newSecret();
    const t = await start({ JWT_SECRET: newSecret(), ENCRYPTION_KEYS: `${newKey},${oldSecret}` });
    // Tokens signed with the old secret are refused: everyone signs in again.
    await t.http.get('/v1/users/me').set(user.auth).expect(401);
    await t.http
      .post('/v1/auth/mfa/verify')
      .send({ challenge: await challenge(t), code: code(user.totp, 0) })
      .expect(200);
  });

  it('without it, a TOTP code is refused as a wrong code (not a 500) and a recovery code still signs in', async () => {
    const t = await start({ JWT_SECRET: newSecret() });
    const refused = await t.http
      .post('/v1/auth/mfa/verify')
      .send({ challenge: await challenge(t), code: code(user.totp, 1) });
    expect(refused.status).toBe(401);
    expect(refused.headers['content-type']).toMatch(/^application\/problem\+json/);
    await t.http
      .post('/v1/auth/mfa/verify')
      .send({ challenge: await challenge(t), code: user.recoveryCodes[0] })
      .expect(200);
  });
});
