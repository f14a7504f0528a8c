import {
  createTestDatabase,
  eventually,
  login,
  newUserInput,
  profile,
  startTestApp,
  startWorkerProcess,
  tempDataDir,
  type SignedIn,
  type SpawnedProcess,
  type TestApp,
} from '@keel/testing';
import { getDataSourceToken } from '@nestjs/typeorm';
import { simpleParser } from 'mailparser';
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import { SMTPServer } from 'smtp-server';
import type { DataSource } from 'typeorm';

/**
 * Mail flows end to end: the mail really leaves (to an SMTP server started here in the full
 * profile, to `.eml` files in DATA_DIR/mail in the embedded one), its link is followed,
 * and every misuse of a token is refused.
 */

const PUBLIC_URL = 'http://127.0.0.1:8080/app';

interface Mail {
  to: string;
  subject: string;
  text: string;
  html: string;
  messageId: string;
  link: string;
  token: string;
}

async function parseMail(raw: Buffer | string): Promise<Mail> {
  const parsed = await simpleParser(raw);
  const text = parsed.text ?? '';
  const link = /https?:\/\/\S+/.exec(text)?.[0] ?? '';
  const to = Array.isArray(parsed.to) ? parsed.to[0] : parsed.to;
  return {
    to: to?.value[0]?.address ?? '',
    subject: parsed.subject ?? '',
    text,
    html: typeof parsed.html === 'string' ? parsed.html : '',
    messageId: parsed.messageId ?? '',
    link,
    token: link ? (new URL(link).searchParams.get('token') ?? '') : '',
  };
}

/** Where sent mail can be read. */
interface Inbox {
  all(): Promise<Mail[]>;
}

/** A real SMTP server on 127.0.0.1 that keeps every mail it accepts. */
class SmtpInbox implements Inbox {
  readonly mails: Mail[] = [];
  private server?: SMTPServer;

  constructor(readonly port: number) {}

  async start(): Promise<void> {
    this.server = new SMTPServer({
      authOptional: true,
      disabledCommands: ['STARTTLS'],
      logger: false,
      onData: (stream, _session, callback) => {
        const chunks: Buffer[] = [];
        stream.on('data', (c: Buffer) => chunks.push(c));
        stream.on('end', () => {
          parseMail(Buffer.concat(chunks)).then(
            (mail) => {
              this.mails.push(mail);
              callback();
            },
            (error: Error) => callback(error),
          );
        });
      },
    });
    const server = this.server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, '127.0.0.1', () => resolve());
    });
  }

  async stop(): Promise<void> {
    const server = this.server;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  all(): Promise<Mail[]> {
    return Promise.resolve([...this.mails]);
  }
}

/** The embedded profile's mail: `.eml` files under DATA_DIR/mail. */
class FolderInbox implements Inbox {
  constructor(readonly folder: string) {}

  async all(): Promise<Mail[]> {
    if (!existsSync(this.folder)) return [];
    const files = readdirSync(this.folder).filter((f) => f.endsWith('.eml'));
    return Promise.all(files.map((f) => parseMail(readFileSync(join(this.folder, f)))));
  }
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** Waits for the `n`th mail (1-based) to `to` with this subject. */
async function mailTo(inbox: Inbox, to: string, subject: RegExp, n = 1): Promise<Mail> {
  let found: Mail | undefined;
  await eventually(async () => {
    found = (await inbox.all()).filter((m) => m.to === to && subject.test(m.subject))[n - 1];
    return found !== undefined;
  }, 20_000);
  return found!;
}

const VERIFY = /confirm your email/i;
const RESET = /reset your password/i;

function db(t: TestApp): DataSource {
  return t.app.get<DataSource>(getDataSourceToken());
}

const MAIL_EVENTS = [
  'auth.email_verification_sent',
  'auth.email_verified',
  'auth.password_reset_requested',
  'auth.password_reset',
];

async function events(t: TestApp, userId: string): Promise<string[]> {
  const rows = await db(t).query<Array<{ type: string }>>(
    `SELECT type FROM outbox WHERE aggregate_id = $1 AND type = ANY($2) ORDER BY occurred_at, id`,
    [userId, MAIL_EVENTS],
  );
  return rows.map((r) => r.type);
}

async function register(t: TestApp): Promise<{ id: string; email: string; password: string }> {
  const input = newUserInput();
  const res = await t.http.post('/v1/auth/register').send(input).expect(201);
  return { id: (res.body as { id: string }).id, email: input.email, password: input.password };
}

async function verifiedAt(t: TestApp, userId: string): Promise<Date | null> {
  const rows = await db(t).query<Array<{ v: Date | null }>>(
    'SELECT email_verified_at AS v FROM users WHERE id = $1',
    [userId],
  );
  return rows[0]?.v ?? null;
}

/** Moves the user's newest token of this kind 1 s past its expiry. */
async function expire(t: TestApp, userId: string, kind: string): Promise<void> {
  await db(t).query(
    `UPDATE auth_tokens SET expires_at = now() - interval '1 second'
     WHERE id = (SELECT id FROM auth_tokens WHERE user_id = $1 AND kind = $2 ORDER BY created_at DESC LIMIT 1)`,
    [userId, kind],
  );
}

function tampered(token: string): string {
  const last = token.at(-1) === 'A' ? 'B' : 'A';
  return token.slice(0, -1) + last;
}

function expectInvalidToken(res: {
  status: number;
  headers: Record<string, string>;
  body: unknown;
}) {
  expect(res.status).toBe(400);
  expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
  expect((res.body as { code: string }).code).toBe('AUTH.INVALID_TOKEN');
}

describe(`auth mail (${profile.name} profile: ${profile.name === 'full' ? 'SMTP' : '.eml files'})`, () => {
  let t: TestApp;
  let inbox: Inbox;
  let smtp: SmtpInbox | undefined;

  beforeAll(async () => {
    if (profile.name === 'full') {
      smtp = new SmtpInbox(await freePort());
      await smtp.start();
      inbox = smtp;
    }
    t = await startTestApp({
      PUBLIC_URL,
      MAIL_FROM: 'Keel <no-reply@keel.test>',
      AUTH_RATE_LIMIT_PER_ACCOUNT: '5',
      ...(smtp ? { SMTP_URL: `smtp://127.0.0.1:${smtp.port}` } : {}),
    });
    if (!smtp) inbox = new FolderInbox(join(t.env.DATA_DIR, 'mail'));
  });
  afterAll(async () => {
    await t.close();
    await smtp?.stop();
  });

  it('documents every new route with its problems', async () => {
    const doc = (await t.http.get('/docs-json').expect(200)).body as {
      paths: Record<string, { post: { responses: Record<string, { content?: object }> } }>;
    };
    const expected: Record<string, string[]> = {
      '/v1/auth/email/verify': ['204', '400', '429', '500'],
      '/v1/auth/email/resend': ['202', '401', '409', '429', '500'],
      '/v1/auth/password/forgot': ['202', '400', '429', '500'],
      '/v1/auth/password/reset': ['204', '400', '429', '500'],
    };
    for (const [path, statuses] of Object.entries(expected)) {
      const responses = doc.paths[path]?.post.responses ?? {};
      expect(Object.keys(responses).sort()).toEqual(statuses);
      for (const status of statuses.filter((s) => Number(s) >= 400))
        expect(Object.keys(responses[status]?.content ?? {})).toEqual(['application/problem+json']);
    }
  });

  describe('email verification', () => {
    it('mails a link on registration; following it verifies the address, once', async () => {
      const user = await register(t);
      const mail = await mailTo(inbox, user.email, VERIFY);
      expect(mail.link.startsWith(`${PUBLIC_URL}/verify-email?token=`)).toBe(true);
      expect(mail.html).toContain(mail.link.replace(/&/g, '&amp;'));
      expect(mail.token.length).toBeGreaterThanOrEqual(40);
      // Neither the token table nor the job holds the token in clear.
      const stored = await db(t).query<Array<{ row: string }>>(
        `SELECT row_to_json(a)::text AS row FROM auth_tokens a WHERE user_id = $1
         UNION ALL SELECT row_to_json(j)::text FROM jobs j WHERE owner_id = $1`,
        [user.id],
      );
      expect(stored.length).toBe(2);
      for (const { row } of stored) expect(row).not.toContain(mail.token);

      expect(await verifiedAt(t, user.id)).toBeNull();
      await t.http.post('/v1/auth/email/verify').send({ token: mail.token }).expect(204);
      expect(await verifiedAt(t, user.id)).toBeInstanceOf(Date);
      expectInvalidToken(await t.http.post('/v1/auth/email/verify').send({ token: mail.token }));
      expect(await events(t, user.id)).toEqual([
        'auth.email_verification_sent',
        'auth.email_verified',
      ]);
    });

    it('refuses an expired, a tampered and a reset token, and verifies only the token owner', async () => {
      const a = await register(t);
      const b = await register(t);
      const tokenA = (await mailTo(inbox, a.email, VERIFY)).token;
      const tokenB = (await mailTo(inbox, b.email, VERIFY)).token;

      expectInvalidToken(
        await t.http.post('/v1/auth/email/verify').send({ token: tampered(tokenA) }),
      );
      await t.http.post('/v1/auth/password/forgot').send({ email: a.email }).expect(202);
      const resetA = (await mailTo(inbox, a.email, RESET)).token;
      expectInvalidToken(await t.http.post('/v1/auth/email/verify').send({ token: resetA }));

      await expire(t, b.id, 'email_verification');
      expectInvalidToken(await t.http.post('/v1/auth/email/verify').send({ token: tokenB }));
      expect(await verifiedAt(t, b.id)).toBeNull();

      // A's token verifies A, whoever sends it: B stays unverified.
      await t.http.post('/v1/auth/email/verify').send({ token: tokenA }).expect(204);
      expect(await verifiedAt(t, a.id)).toBeInstanceOf(Date);
      expect(await verifiedAt(t, b.id)).toBeNull();
    });

    it('resends a new link to a signed-in user, rate limited, and not once verified', async () => {
      const input = newUserInput();
      await t.http.post('/v1/auth/register').send(input).expect(201);
      const user: SignedIn = await login(t.http, input.email, input.password);
      await mailTo(inbox, user.email, VERIFY);
      await t.http.post('/v1/auth/email/resend').expect(401);
      await t.http.post('/v1/auth/email/resend').set(user.auth).expect(202);
      const second = await mailTo(inbox, user.email, VERIFY, 2);
      for (let i = 0; i < 4; i++)
        await t.http.post('/v1/auth/email/resend').set(user.auth).expect(202);
      const limited = await t.http.post('/v1/auth/email/resend').set(user.auth).expect(429);
      expect(limited.headers['retry-after']).toBeDefined();

      await t.http.post('/v1/auth/email/verify').send({ token: second.token }).expect(204);
      // Once verified, a resend is refused (a fresh user: this one has used its rate limit).
      const other = await register(t);
      const otherUser = await login(t.http, other.email, other.password);
      const otherToken = (await mailTo(inbox, other.email, VERIFY)).token;
      await t.http.post('/v1/auth/email/verify').send({ token: otherToken }).expect(204);
      const again = await t.http.post('/v1/auth/email/resend').set(otherUser.auth).expect(409);
      expect((again.body as { code: string }).code).toBe('AUTH.EMAIL_ALREADY_VERIFIED');
    });
  });

  describe('password reset', () => {
    it('gives the same status and body for a known and an unknown address', async () => {
      const user = await register(t);
      const known = await t.http.post('/v1/auth/password/forgot').send({ email: user.email });
      const unknown = await t.http
        .post('/v1/auth/password/forgot')
        .send({ email: `nobody-${user.id}@keel.test` });
      expect(known.status).toBe(202);
      expect(unknown.status).toBe(known.status);
      expect(unknown.text).toBe(known.text);
      expect(unknown.headers['content-type']).toBe(known.headers['content-type']);
      await mailTo(inbox, user.email, RESET);
      expect((await inbox.all()).filter((m) => m.to === `nobody-${user.id}@keel.test`)).toEqual([]);
    });

    it('mails a link that sets the new password once, ends every session and is recorded', async () => {
      const input = newUserInput();
      await t.http.post('/v1/auth/register').send(input).expect(201);
      const user = await login(t.http, input.email, input.password);
      await t.http.post('/v1/auth/password/forgot').send({ email: user.email }).expect(202);
      const mail = await mailTo(inbox, user.email, RESET);
      expect(mail.link.startsWith(`${PUBLIC_URL}/reset-password?token=`)).toBe(true);

      const short = await t.http
        .post('/v1/auth/password/reset')
        .send({ token: mail.token, password: 'short' })
        .expect(400);
      expect((short.body as { errors: Array<{ field: string }> }).errors[0]?.field).toBe(
        'password',
      );
      const newPassword = 'a brand new password';
      await t.http
        .post('/v1/auth/password/reset')
        .send({ token: mail.token, password: newPassword })
        .expect(204);
      expectInvalidToken(
        await t.http
          .post('/v1/auth/password/reset')
          .send({ token: mail.token, password: 'yet another password' }),
      );
      await t.http.post('/v1/auth/refresh').send({ refreshToken: user.refreshToken }).expect(401);
      await t.http
        .post('/v1/auth/login')
        .send({ email: user.email, password: input.password })
        .expect(401);
      await login(t.http, user.email, newPassword);
      expect(await events(t, user.id)).toEqual([
        'auth.email_verification_sent',
        'auth.password_reset_requested',
        'auth.password_reset',
      ]);
    });

    it('refuses an expired, a tampered and a verification token, and resets only the token owner', async () => {
      const a = await register(t);
      const b = await register(t);
      await t.http.post('/v1/auth/password/forgot').send({ email: a.email }).expect(202);
      await t.http.post('/v1/auth/password/forgot').send({ email: b.email }).expect(202);
      const resetA = (await mailTo(inbox, a.email, RESET)).token;
      const resetB = (await mailTo(inbox, b.email, RESET)).token;
      const verifyA = (await mailTo(inbox, a.email, VERIFY)).token;
      const reset = (token: string) =>
        t.http.post('/v1/auth/password/reset').send({ token, password: 'the new password' });

      expectInvalidToken(await reset(verifyA));
      expectInvalidToken(await reset(tampered(resetA)));
      await expire(t, b.id, 'password_reset');
      expectInvalidToken(await reset(resetB));
      await t.http
        .post('/v1/auth/login')
        .send({ email: b.email, password: b.password })
        .expect(200);

      await reset(resetA).expect(204);
      await login(t.http, a.email, 'the new password');
      // B's password is untouched by A's token.
      await login(t.http, b.email, b.password);
      await t.http
        .post('/v1/auth/login')
        .send({ email: b.email, password: 'the new password' })
        .expect(401);
    });

    it('limits forgot-password per address', async () => {
      const user = await register(t);
      // The registration spent one of the address's five tries.
      for (let i = 0; i < 4; i++)
        await t.http.post('/v1/auth/password/forgot').send({ email: user.email }).expect(202);
      await t.http.post('/v1/auth/password/forgot').send({ email: user.email }).expect(429);
      await t.http
        .post('/v1/auth/password/forgot')
        .send({ email: `Other-${user.email}` })
        .expect(202);
    });
  });
});

describe(`auth mail with SMTP down, then up (${profile.name} profile)`, () => {
  let t: TestApp;
  let smtp: SmtpInbox;

  beforeAll(async () => {
    smtp = new SmtpInbox(await freePort());
    t = await startTestApp({
      PUBLIC_URL,
      SMTP_URL: `smtp://127.0.0.1:${smtp.port}`,
      REQUIRE_VERIFIED_EMAIL: 'true',
    });
  });
  afterAll(async () => {
    await t.close();
    await smtp.stop();
  });

  it('answers at once, retries with backoff and delivers the mail once when SMTP comes back', async () => {
    const started = Date.now();
    const user = await register(t);
    expect(Date.now() - started).toBeLessThan(5_000);
    // At least one attempt has failed against the closed port.
    await eventually(async () => {
      const rows = await db(t).query<Array<{ attempts: number; state: string }>>(
        `SELECT attempts, state FROM jobs WHERE owner_id = $1`,
        [user.id],
      );
      return rows[0].attempts >= 1 && rows[0].state === 'queued';
    }, 20_000);
    await smtp.start();
    const mail = await mailTo(smtp, user.email, VERIFY);
    await eventually(async () => {
      const rows = await db(t).query<Array<{ state: string }>>(
        `SELECT state FROM jobs WHERE owner_id = $1`,
        [user.id],
      );
      return rows[0].state === 'succeeded';
    }, 20_000);
    await new Promise((r) => setTimeout(r, 1_500));
    expect(smtp.mails.filter((m) => m.to === user.email)).toHaveLength(1);

    // REQUIRE_VERIFIED_EMAIL: refused with a code the client can act on, until verified.
    const refused = await t.http
      .post('/v1/auth/login')
      .send({ email: user.email, password: user.password })
      .expect(403);
    expect(refused.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect((refused.body as { code: string }).code).toBe('AUTH.EMAIL_NOT_VERIFIED');
    // A wrong password says nothing about verification.
    await t.http
      .post('/v1/auth/login')
      .send({ email: user.email, password: 'not the password' })
      .expect(401);
    await t.http.post('/v1/auth/email/verify').send({ token: mail.token }).expect(204);
    await login(t.http, user.email, user.password);
  });
});

const full = profile.name === 'full' ? describe : describe.skip;

full('auth mail from worker processes (full profile: BullMQ, the API runs no jobs)', () => {
  const workers: SpawnedProcess[] = [];
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  let env: Record<string, string>;
  let smtp: SmtpInbox;

  beforeAll(async () => {
    smtp = new SmtpInbox(await freePort());
    await smtp.start();
    database = await createTestDatabase(profile.databaseUrl ?? '');
    env = {
      // startWorkerProcess waits for the worker's info line.
      LOG_LEVEL: 'info',
      DATABASE_URL: database.url,
      REDIS_URL: profile.redisUrl ?? '',
      REDIS_KEY_PREFIX: `keel-test:${randomBytes(4).toString('hex')}:`,
      DATA_DIR: tempDataDir('keel-mail-'),
      // The seal of the tokens in mail jobs is keyed by it: the same in every process.
      JWT_SECRET: randomBytes(32).toString('hex'),
      SMTP_URL: `smtp://127.0.0.1:${smtp.port}`,
      PUBLIC_URL,
    };
  });
  afterAll(async () => {
    for (const w of workers) w.child.kill('SIGKILL');
    await Promise.all(workers.map((w) => w.exited));
    await database.drop();
    await smtp.stop();
    rmSync(env.DATA_DIR, { recursive: true, force: true });
  });

  it('two workers send each mail once, and its link works', async () => {
    const api = await startTestApp({ ...env, RUN_WORKERS: 'false', LOG_LEVEL: 'silent' });
    try {
      workers.push(await startWorkerProcess(env), await startWorkerProcess(env));
      const users = [];
      for (let i = 0; i < 6; i++) users.push(await register(api));
      const mails = await Promise.all(users.map((u) => mailTo(smtp, u.email, VERIFY)));
      await new Promise((r) => setTimeout(r, 1_500));
      for (const user of users)
        expect(smtp.mails.filter((m) => m.to === user.email)).toHaveLength(1);
      await api.http.post('/v1/auth/email/verify').send({ token: mails[0].token }).expect(204);
    } finally {
      await api.close();
    }
  });
});
