import { AuthPruner } from '@keel/auth';
import { eventually, signUp, startTestApp, type SignedIn, type TestApp } from '@keel/testing';
import { getDataSourceToken } from '@nestjs/typeorm';
import { createHash, randomUUID } from 'node:crypto';
import { Secret, TOTP } from 'otpauth';
import type { DataSource } from 'typeorm';

const STEP_MS = 30_000;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Enrolled extends SignedIn {
  secret: string;
  recoveryCodes: string[];
}

/** The code for `steps` time steps away from now, computed with the otpauth library. */
function codeAt(secret: string, steps: number): string {
  return TOTP.generate({
    secret: Secret.fromBase32(secret),
    period: 30,
    digits: 6,
    algorithm: 'SHA1',
    timestamp: Date.now() + steps * STEP_MS,
  });
}

/** Keeps a test's codes inside one time step: waits out the last 4 s of a step. */
async function awayFromStepEdge(): Promise<void> {
  const left = STEP_MS - (Date.now() % STEP_MS);
  if (left < 4000) await sleep(left + 100);
}

describe('two-factor authentication (TOTP)', () => {
  let t: TestApp;
  let db: DataSource;

  beforeAll(async () => {
    t = await startTestApp();
    db = t.app.get<DataSource>(getDataSourceToken());
  });
  afterAll(async () => {
    await t.close();
  });

  const outboxTypes = async (userId: string): Promise<string[]> =>
    (
      await db.query<Array<{ type: string }>>(
        `SELECT type FROM outbox WHERE aggregate_id = $1 AND type LIKE 'auth.mfa%' ORDER BY seq`,
        [userId],
      )
    ).map((r) => r.type);

  /** Signs up, enrols and confirms with the code of the previous step (so 0 and +1 stay free). */
  async function enrolled(): Promise<Enrolled> {
    await awayFromStepEdge();
    const user = await signUp(t.http);
    const res = await t.http.post('/v1/auth/mfa/totp').set(user.auth).expect(201);
    const { otpauthUri } = res.body as { otpauthUri: string };
    const secret = new URL(otpauthUri).searchParams.get('secret') ?? '';
    const confirmed = await t.http
      .post('/v1/auth/mfa/totp/confirm')
      .set(user.auth)
      .send({ code: codeAt(secret, -1) })
      .expect(200);
    return { ...user, secret, recoveryCodes: (confirmed.body as Enrolled).recoveryCodes };
  }

  async function challengeFor(user: SignedIn): Promise<string> {
    const res = await t.http
      .post('/v1/auth/login')
      .send({ email: user.email, password: user.password })
      .expect(200);
    expect(res.body).toEqual({ mfaRequired: true, challenge: expect.any(String), expiresIn: 300 });
    return (res.body as { challenge: string }).challenge;
  }

  const verify = (challenge: string, code: string) =>
    t.http.post('/v1/auth/mfa/verify').send({ challenge, code });

  it('enrols: an otpauth URI and an SVG QR code; a first code turns it on with recovery codes', async () => {
    await awayFromStepEdge();
    const user = await signUp(t.http);
    const res = await t.http.post('/v1/auth/mfa/totp').set(user.auth).expect(201);
    const body = res.body as { otpauthUri: string; qrSvg: string };
    expect(body.otpauthUri).toMatch(/^otpauth:\/\/totp\/Keel:.+\?.*secret=[A-Z2-7]{32}/);
    expect(body.qrSvg).toMatch(/^<svg[\s\S]*<\/svg>\s*$/);
    const secret = new URL(body.otpauthUri).searchParams.get('secret') ?? '';
    // Stored sealed: the database never holds the secret in clear.
    const rows = await db.query<unknown[]>(`SELECT * FROM user_totp WHERE user_id = $1`, [user.id]);
    expect(rows).toHaveLength(1);
    expect(JSON.stringify(rows)).not.toContain(secret);
    // Not on until confirmed: the password alone still gives tokens.
    const before = await t.http
      .post('/v1/auth/login')
      .send({ email: user.email, password: user.password })
      .expect(200);
    expect(before.body).toHaveProperty('accessToken');

    await t.http
      .post('/v1/auth/mfa/totp/confirm')
      .set(user.auth)
      .send({ code: codeAt(secret, -3) })
      .expect(401);
    const confirmed = await t.http
      .post('/v1/auth/mfa/totp/confirm')
      .set(user.auth)
      .send({ code: codeAt(secret, 0) })
      .expect(200);
    const codes = (confirmed.body as { recoveryCodes: string[] }).recoveryCodes;
    expect(codes).toHaveLength(10);
    expect(new Set(codes).size).toBe(10);
    const stored = await db.query<unknown[]>(
      `SELECT * FROM mfa_recovery_codes WHERE user_id = $1`,
      [user.id],
    );
    expect(stored).toHaveLength(10);
    for (const code of codes) expect(JSON.stringify(stored)).not.toContain(code);
    expect(await outboxTypes(user.id)).toEqual(['auth.mfa_enabled']);
    // On now: enrolling again is refused, so the secret is never shown again.
    await t.http.post('/v1/auth/mfa/totp').set(user.auth).expect(409);
  });

  it('login answers a challenge, not tokens; the challenge and a valid code give a session', async () => {
    const user = await enrolled();
    const login = await t.http
      .post('/v1/auth/login')
      .send({ email: user.email, password: user.password })
      .expect(200);
    expect(login.body).not.toHaveProperty('accessToken');
    expect(login.body).not.toHaveProperty('refreshToken');
    const { challenge } = login.body as { challenge: string };
    const stored = await db.query<unknown[]>(`SELECT * FROM mfa_challenges WHERE user_id = $1`, [
      user.id,
    ]);
    expect(JSON.stringify(stored)).not.toContain(challenge);

    const res = await verify(challenge, codeAt(user.secret, 0)).expect(200);
    const tokens = res.body as { accessToken: string; refreshToken: string };
    const auth = { Authorization: `Bearer ${tokens.accessToken}` };
    const me = await t.http.get('/v1/users/me').set(auth).expect(200);
    expect((me.body as { id: string }).id).toBe(user.id);
    // A session like a password login's: listed, and its refresh token rotates.
    const sessions = await t.http.get('/v1/auth/sessions').set(auth).expect(200);
    expect((sessions.body as { data: unknown[] }).data.length).toBeGreaterThanOrEqual(2);
    await t.http.post('/v1/auth/refresh').send({ refreshToken: tokens.refreshToken }).expect(200);
  });

  it('accepts codes one step either side of now and refuses codes further out', async () => {
    const user = await enrolled();
    const challenge = await challengeFor(user);
    for (const steps of [-2, 3]) {
      const res = await verify(challenge, codeAt(user.secret, steps)).expect(401);
      expect((res.body as { code: string }).code).toBe('AUTH.INVALID_MFA_CODE');
    }
    await verify(challenge, codeAt(user.secret, 1)).expect(200);
  });

  it('never accepts a code (time step) twice, nor an earlier one after it', async () => {
    const user = await enrolled();
    const code = codeAt(user.secret, 0);
    await verify(await challengeFor(user), code).expect(200);
    const res = await verify(await challengeFor(user), code).expect(401);
    expect((res.body as { code: string }).code).toBe('AUTH.INVALID_MFA_CODE');
    // The step used to confirm the enrolment is spent too.
    await verify(await challengeFor(user), codeAt(user.secret, -1)).expect(401);
  });

  it('refuses a challenge used once, or expired', async () => {
    const user = await enrolled();
    const challenge = await challengeFor(user);
    await verify(challenge, codeAt(user.secret, 0)).expect(200);
    const reused = await verify(challenge, codeAt(user.secret, 1)).expect(401);
    expect((reused.body as { code: string }).code).toBe('AUTH.INVALID_MFA_CHALLENGE');

    const late = await challengeFor(user);
    await db.query(
      `UPDATE mfa_challenges SET expires_at = now() - interval '1 second' WHERE user_id = $1 AND used_at IS NULL`,
      [user.id],
    );
    const expired = await verify(late, codeAt(user.secret, 1)).expect(401);
    expect((expired.body as { code: string }).code).toBe('AUTH.INVALID_MFA_CHALLENGE');
    await verify('not-a-challenge', codeAt(user.secret, 1)).expect(401);
  });

  it('a challenge sent twice at once gives one session', async () => {
    const user = await enrolled();
    const challenge = await challengeFor(user);
    // A code and a recovery code do not compete for anything but the challenge.
    const answers = await Promise.all([
      verify(challenge, codeAt(user.secret, 0)),
      verify(challenge, user.recoveryCodes[0]),
    ]);
    expect(answers.map((r) => r.status).sort()).toEqual([200, 401]);
  });

  it('a recovery code signs in once', async () => {
    const user = await enrolled();
    const [code] = user.recoveryCodes;
    const res = await verify(await challengeFor(user), code.toUpperCase()).expect(200);
    expect(res.body).toHaveProperty('accessToken');
    expect(await outboxTypes(user.id)).toEqual(['auth.mfa_enabled', 'auth.mfa_recovery_used']);
    await verify(await challengeFor(user), code).expect(401);
    await verify(await challengeFor(user), user.recoveryCodes[1]).expect(200);
  });

  it('rate limits code attempts per account: 5 per window, then 429 even for a right code', async () => {
    const user = await enrolled(); // the confirmation was the first attempt
    const challenge = await challengeFor(user);
    for (let i = 0; i < 4; i++) await verify(challenge, '000000').expect(401);
    const limited = await verify(challenge, codeAt(user.secret, 0)).expect(429);
    expect(limited.headers['retry-after']).toBeDefined();
  });

  it('recovery codes are regenerated with a current code; the old ones stop working', async () => {
    const user = await enrolled();
    await t.http
      .post('/v1/auth/mfa/recovery-codes')
      .set(user.auth)
      .send({ code: '000000' })
      .expect(401);
    const res = await t.http
      .post('/v1/auth/mfa/recovery-codes')
      .set(user.auth)
      .send({ code: codeAt(user.secret, 0) })
      .expect(200);
    const fresh = (res.body as { recoveryCodes: string[] }).recoveryCodes;
    expect(fresh).toHaveLength(10);
    await verify(await challengeFor(user), user.recoveryCodes[0]).expect(401);
    await verify(await challengeFor(user), fresh[0]).expect(200);
  });

  it('disabling needs the password and a current code; then the password alone signs in', async () => {
    const user = await enrolled();
    const del = (body: object) => t.http.delete('/v1/auth/mfa/totp').set(user.auth).send(body);
    await del({ password: 'wrong password!', code: codeAt(user.secret, 0) }).expect(401);
    await del({ password: user.password, code: '000000' }).expect(401);
    await del({ password: user.password }).expect(400);
    await del({ password: user.password, code: codeAt(user.secret, 0) }).expect(204);
    expect(await outboxTypes(user.id)).toEqual(['auth.mfa_enabled', 'auth.mfa_disabled']);
    const login = await t.http
      .post('/v1/auth/login')
      .send({ email: user.email, password: user.password })
      .expect(200);
    expect(login.body).toHaveProperty('accessToken');
  });
});

describe('two-factor settings and the pruning of spent rows', () => {
  const MAX_ATTEMPTS = 3;
  let t: TestApp;
  let db: DataSource;

  beforeAll(async () => {
    t = await startTestApp({
      MFA_MAX_ATTEMPTS: String(MAX_ATTEMPTS),
      AUTH_PRUNE_INTERVAL_SECONDS: '1',
    });
    db = t.app.get<DataSource>(getDataSourceToken());
  });
  afterAll(async () => {
    await t.close();
  });

  /** Signs up, enrols and confirms (one code attempt); answers the user and the secret. */
  async function enrolled(): Promise<SignedIn & { secret: string }> {
    await awayFromStepEdge();
    const user = await signUp(t.http);
    const res = await t.http.post('/v1/auth/mfa/totp').set(user.auth).expect(201);
    const secret =
      new URL((res.body as { otpauthUri: string }).otpauthUri).searchParams.get('secret') ?? '';
    await t.http
      .post('/v1/auth/mfa/totp/confirm')
      .set(user.auth)
      .send({ code: codeAt(secret, -1) })
      .expect(200);
    return { ...user, secret };
  }

  async function challengeFor(user: SignedIn): Promise<string> {
    const res = await t.http
      .post('/v1/auth/login')
      .send({ email: user.email, password: user.password })
      .expect(200);
    return (res.body as { challenge: string }).challenge;
  }

  const verify = (challenge: string, code: string) =>
    t.http.post('/v1/auth/mfa/verify').send({ challenge, code });

  it('MFA_MAX_ATTEMPTS sets the code attempts per account and window', async () => {
    const user = await enrolled(); // the confirmation was the first attempt
    const challenge = await challengeFor(user);
    for (let i = 1; i < MAX_ATTEMPTS; i++) await verify(challenge, '000000').expect(401);
    await verify(challenge, codeAt(user.secret, 0)).expect(429);
  });

  it('deletes used and expired challenges, mail tokens, refresh tokens and SSO states; keeps live ones', async () => {
    const user = await enrolled();
    const expired = await challengeFor(user);
    const used = await challengeFor(user);
    const live = await challengeFor(user);
    await verify(used, codeAt(user.secret, 0)).expect(200);
    const hash = (challenge: string) => createHash('sha256').update(challenge).digest('hex');
    await db.query(
      `UPDATE mfa_challenges SET expires_at = now() - interval '1 second' WHERE token_hash = $1`,
      [hash(expired)],
    );
    // The user's first refresh token (from the sign-up) expired; the mail token of the sign-up too.
    await db.query(
      `UPDATE refresh_tokens SET expires_at = now() - interval '1 second'
        WHERE id = $1`,
      [user.refreshToken.split('.')[0]],
    );
    await db.query(
      `UPDATE auth_tokens SET expires_at = now() - interval '1 second' WHERE user_id = $1`,
      [user.id],
    );
    // Single sign-ons started and never finished: one expired, one still under way.
    const oidcStates = [randomUUID(), randomUUID()];
    for (const [i, id] of oidcStates.entries())
      await db.query(
        `INSERT INTO oidc_logins (id, state_hash, nonce, code_verifier, expires_at)
         VALUES ($1, $2, 'n', 'v', now() + $3 * interval '1 minute')`,
        [id, hash(id), i === 0 ? -1 : 10],
      );
    const challenges = () =>
      db.query<Array<{ token_hash: string }>>(
        `SELECT token_hash FROM mfa_challenges WHERE user_id = $1`,
        [user.id],
      );
    expect(await challenges()).toHaveLength(3);
    // The sign-up's verification mail token is there to be pruned.
    expect(await db.query(`SELECT id FROM auth_tokens WHERE user_id = $1`, [user.id])).not.toEqual(
      [],
    );

    await eventually(async () => (await challenges()).length === 1, 5_000);
    expect((await challenges()).map((c) => c.token_hash)).toEqual([hash(live)]);
    const refreshTokens = await db.query<Array<{ id: string }>>(
      `SELECT id FROM refresh_tokens WHERE user_id = $1`,
      [user.id],
    );
    expect(refreshTokens.map((r) => r.id)).not.toContain(user.refreshToken.split('.')[0]);
    expect(refreshTokens.length).toBeGreaterThan(0);
    expect(await db.query(`SELECT id FROM auth_tokens WHERE user_id = $1`, [user.id])).toEqual([]);
    expect(
      await db.query(`SELECT id FROM oidc_logins WHERE id = ANY($1) ORDER BY id`, [oidcStates]),
    ).toEqual([{ id: oidcStates[1] }]);
    await verify(live, codeAt(user.secret, 1)).expect(200);
  });

  it('prunes once per interval across the processes on the database', async () => {
    const pruner = t.app.get(AuthPruner);
    // The timer may have pruned just now; after an interval, one run and then none.
    await sleep(1_100);
    const runs = await Promise.all([pruner.prune(), pruner.prune(), pruner.prune()]);
    expect(runs.filter(Boolean).length).toBeLessThanOrEqual(1);
    expect(await pruner.prune()).toBe(false);
    const [task] = await db.query<Array<{ last_run_at: Date }>>(
      `SELECT last_run_at FROM cluster_tasks WHERE name = 'auth.prune'`,
    );
    expect(Date.now() - new Date(task.last_run_at).getTime()).toBeLessThan(1_500);
  });
});
