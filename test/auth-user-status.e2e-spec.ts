import {
  countQueries,
  createItem,
  eventually,
  profile,
  proxyFor,
  signInAdmin,
  signUp,
  startTestApp,
  type SignedIn,
  type TcpProxy,
  type TestApp,
} from '@keel/testing';
import { EventTransport } from '@keel/events';
import { getDataSourceToken } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';

/**
 * The account status behind the JWT check is cached per process (UserStatusCache): an
 * authenticated request does not read the users table, and changes still take effect at once.
 */
const readsUsers = (sql: string) => sql.includes('SELECT') && /FROM "users"/.test(sql);

function dataSourceOf(t: TestApp): DataSource {
  return t.app.get<DataSource>(getDataSourceToken());
}

/** Users table reads (by any instance of this process) while `work` runs. */
async function usersReadsDuring(work: () => Promise<unknown>): Promise<number> {
  const queries = countQueries(readsUsers);
  try {
    await work();
    return queries.count();
  } finally {
    queries.restore();
  }
}

describe('account status cache (one instance)', () => {
  let t: TestApp;
  const TTL_MS = 1_500;

  beforeAll(async () => {
    t = await startTestApp({ AUTH_USER_STATUS_TTL_MS: String(TTL_MS) });
  });
  afterAll(async () => {
    await t.close();
  });

  it('a signed-in request after the first does not read the users table', async () => {
    const user = await signUp(t.http);
    await createItem(t.http, user, { name: 'first' });
    const reads = await usersReadsDuring(() => createItem(t.http, user, { name: 'second' }));
    expect(reads).toBe(0);
  });

  it('an entry no event invalidates expires after AUTH_USER_STATUS_TTL_MS', async () => {
    const user = await signUp(t.http);
    // Past the delivery of user.registered (which drops the entry), then cached again.
    await new Promise((r) => setTimeout(r, 200));
    await t.http.get('/v1/users/me').set(user.auth).expect(200);
    // Disabled behind the application's back: no outbox event, so only the TTL can end it.
    await dataSourceOf(t).query('UPDATE users SET disabled = true WHERE id = $1', [user.id]);
    const before = Date.now();
    await t.http.get('/v1/users/me').set(user.auth).expect(200);
    // The entry was filled before `before`: by now it has expired.
    await new Promise((r) => setTimeout(r, TTL_MS + 100 - (Date.now() - before)));
    await t.http.get('/v1/users/me').set(user.auth).expect(401);
  });
});

// Two instances need one database both can reach (Postgres) and the broker's fan-out.
const rabbitmqUrl = process.env.RABBITMQ_URL;
const withReplicas = profile.databaseUrl && rabbitmqUrl ? describe : describe.skip;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Starts a second instance on `a`'s data, once both are subscribed to the broker. */
async function replicaOf(a: TestApp, overrides: Record<string, string>): Promise<TestApp> {
  const b = await startTestApp({
    DATABASE_URL: a.env.DATABASE_URL ?? '',
    REDIS_KEY_PREFIX: a.env.REDIS_KEY_PREFIX ?? '',
    JWT_SECRET: a.env.JWT_SECRET ?? '',
    ...overrides,
  });
  // The connection is made in the background; until then an instance does not cache.
  for (const t of [a, b]) await eventually(() => t.app.get(EventTransport).connected);
  return b;
}

/**
 * A user whose status `b` holds: `b` answers their requests without reading the users table.
 * The probe is `GET /v1/jobs`: signed in only, and it reads no user.
 */
async function cachedOn(a: TestApp, b: TestApp): Promise<SignedIn> {
  const user = await signUp(a.http);
  // Past the delivery of user.registered (which drops the entry), then cached on b.
  await sleep(200);
  await b.http.get('/v1/users/me').set(user.auth).expect(200);
  const reads = await usersReadsDuring(() => b.http.get('/v1/jobs').set(user.auth));
  expect(reads).toBe(0);
  return user;
}

withReplicas('account status cache on two instances: the event', () => {
  // The admin's request answers a TTL after its commit; b must see the change long before.
  const TTL_MS = 4_000;
  let a: TestApp;
  let b: TestApp;
  let admin: SignedIn;

  beforeAll(async () => {
    a = await startTestApp({ AUTH_USER_STATUS_TTL_MS: String(TTL_MS) });
    b = await replicaOf(a, { AUTH_USER_STATUS_TTL_MS: String(TTL_MS) });
    admin = await signInAdmin(a.http);
  });
  afterAll(async () => {
    await b.close();
    await a.close();
  });

  /**
   * Sends `change` to a and polls `probe` on b until it answers `status`: that must happen
   * while a has not answered yet (a waits a TTL), well within the TTL. Returns the ms it took.
   */
  async function seenBeforeTheAnswer(
    change: PromiseLike<unknown>,
    probe: () => PromiseLike<{ status: number }>,
    status: number,
  ): Promise<number> {
    const started = Date.now();
    let answered = false;
    const done = Promise.resolve(change).then(() => (answered = true));
    while ((await probe()).status !== status) {
      if (answered) throw new Error(`b answered ${status} only after a answered`);
      await sleep(10);
    }
    const took = Date.now() - started;
    expect(answered).toBe(false);
    expect(took).toBeLessThan(TTL_MS / 2);
    await done;
    return took;
  }

  it('disabling a user on one instance refuses their token on the other on the event', async () => {
    const user = await cachedOn(a, b);
    await seenBeforeTheAnswer(
      a.http.patch(`/v1/users/${user.id}`).set(admin.auth).send({ disabled: true }).expect(200),
      () => b.http.get('/v1/jobs').set(user.auth),
      401,
    );
  });

  it('deleting a user on one instance refuses their token on the other on the event', async () => {
    const user = await cachedOn(a, b);
    await seenBeforeTheAnswer(
      a.http.delete(`/v1/users/${user.id}`).set(admin.auth).expect(204),
      () => b.http.get('/v1/jobs').set(user.auth),
      401,
    );
  });

  it('a role change on one instance applies on the other on the event', async () => {
    const user = await cachedOn(a, b);
    const adminOnly = () => b.http.get('/v1/events').set(user.auth);
    expect((await adminOnly()).status).toBe(403);
    const promote = a.http.patch(`/v1/users/${user.id}`).set(admin.auth);
    await seenBeforeTheAnswer(
      promote.send({ roles: ['user', 'admin'] }).expect(200),
      adminOnly,
      200,
    );
    const demote = a.http.patch(`/v1/users/${user.id}`).set(admin.auth);
    await seenBeforeTheAnswer(demote.send({ roles: ['user'] }).expect(200), adminOnly, 403);
  });
});

withReplicas('account status cache on two instances: the event lost', () => {
  const TTL_MS = 1_500;
  let a: TestApp;
  let b: TestApp;
  let broker: TcpProxy;
  let admin: SignedIn;

  beforeAll(async () => {
    a = await startTestApp({ AUTH_USER_STATUS_TTL_MS: String(TTL_MS) });
    // b reaches the broker through a proxy the test freezes; a publishes (b runs no relay).
    const proxied = await proxyFor(rabbitmqUrl ?? '', 5672);
    broker = proxied.proxy;
    b = await replicaOf(a, {
      AUTH_USER_STATUS_TTL_MS: String(TTL_MS),
      RABBITMQ_URL: proxied.url,
      RUN_WORKERS: 'false',
    });
    admin = await signInAdmin(a.http);
  });
  afterAll(async () => {
    await b.close();
    await a.close();
    await broker.cut();
  });

  it('a disable answers only when the other instance refuses the token, event or not', async () => {
    const user = await cachedOn(a, b);
    // b still believes it is subscribed, and gets nothing: the event is lost to it.
    broker.freeze();
    try {
      const started = Date.now();
      const patch = a.http.patch(`/v1/users/${user.id}`).set(admin.auth);
      await patch.send({ disabled: true }).expect(200);
      expect(Date.now() - started).toBeGreaterThanOrEqual(TTL_MS);
      await b.http.get('/v1/jobs').set(user.auth).expect(401);
    } finally {
      broker.thaw();
    }
  });

  it('an instance cut off from the broker reads the user, and forgets what it held before', async () => {
    const user = await cachedOn(a, b);
    const transport = b.app.get(EventTransport);
    await broker.cut();
    await eventually(() => !transport.connected);
    // Nothing reaches b now: it cannot trust what it holds.
    const probe = () => b.http.get('/v1/jobs').set(user.auth).expect(200);
    expect(await usersReadsDuring(probe)).toBe(1);
    await broker.start();
    await eventually(() => transport.connected);
    // Its queue missed what was published meanwhile: the entry from before is not used.
    expect(await usersReadsDuring(probe)).toBe(1);
    expect(await usersReadsDuring(probe)).toBe(0);
  });
});
