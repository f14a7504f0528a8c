import {
  BlackHole,
  createTestDatabase,
  profile,
  signUp,
  startTestApp,
  proxyFor,
  type TcpProxy,
  type TestApp,
} from '@keel/testing';

// Cutting the database's network path needs a database server: runs in the full profile.
const withPostgres = profile.databaseUrl ? describe : describe.skip;

withPostgres('when Postgres becomes unreachable', () => {
  let t: TestApp;
  let proxy: TcpProxy;
  let drop: () => Promise<void>;

  beforeAll(async () => {
    const database = await createTestDatabase(profile.databaseUrl ?? '');
    drop = database.drop;
    let viaProxy: string;
    ({ proxy, url: viaProxy } = await proxyFor(database.url, 5432));
    t = await startTestApp({
      DATABASE_URL: viaProxy,
      DATABASE_CONNECT_TIMEOUT_MS: '500',
      DATABASE_QUERY_TIMEOUT_MS: '1500',
    });
  });
  afterAll(async () => {
    proxy.restore();
    await proxy.start();
    await t.close();
    await proxy.cut();
    await drop();
  });

  it('answers 503 problem+json fast, fails readiness, keeps liveness, and recovers by itself', async () => {
    const user = await signUp(t.http);
    await proxy.cut();

    const started = performance.now();
    const res = await t.http.get('/v1/users/me').set(user.auth);
    expect(res.status).toBe(503);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.headers['retry-after']).toBeDefined();
    expect(res.body.code).toBe('SERVICE.DATABASE_UNAVAILABLE');
    expect(performance.now() - started).toBeLessThan(3_000);

    await t.http.get('/health/ready').expect(503);
    await t.http.get('/health/live').expect(200);

    await proxy.start();
    let status = 0;
    for (let i = 0; i < 40 && status !== 200; i++) {
      status = (await t.http.get('/v1/users/me').set(user.auth)).status;
      if (status !== 200) await new Promise((r) => setTimeout(r, 250));
    }
    expect(status).toBe(200);
    await t.http.get('/health/ready').expect(200);
  });

  it('when packets are dropped instead, answers 503 within a bound and recovers at once after', async () => {
    const user = await signUp(t.http);
    const write = (name: string) =>
      t.http.post('/v1/items').set(user.auth).send({ name, price: '1.00' });
    // Every pooled connection in use when the packets stop.
    await Promise.all(Array.from({ length: 10 }, (_, i) => write(`before ${i}`).expect(201)));

    proxy.blackhole();
    const cut = performance.now();
    const during = await Promise.all([
      ...Array.from({ length: 12 }, (_, i) => write(`during ${i}`)),
      t.http.get('/v1/users/me').set(user.auth),
    ]);
    for (const res of during) {
      expect(res.status).toBe(503);
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(res.body.code).toBe('SERVICE.DATABASE_UNAVAILABLE');
    }
    // A few query timeouts in a row at most, not the minutes TCP would take.
    expect(performance.now() - cut).toBeLessThan(10_000);

    proxy.restore();
    // The pool holds no connection that is still waiting on the partition: the first
    // writes after it succeed at once, each on a connection that answers.
    const back = performance.now();
    const after = await Promise.all(Array.from({ length: 10 }, (_, i) => write(`after ${i}`)));
    expect(after.map((res) => res.status)).toEqual(Array(10).fill(201));
    expect(performance.now() - back).toBeLessThan(3_000);
  });
});

describe('when Redis is unreachable', () => {
  let t: TestApp;
  const blackHole = new BlackHole();

  beforeAll(async () => {
    const port = await blackHole.start();
    t = await startTestApp({
      REDIS_URL: `redis://127.0.0.1:${port}`,
      REDIS_COMMAND_TIMEOUT_MS: '100',
    });
  });
  afterAll(async () => {
    await t.close();
    await blackHole.stop();
  });

  it('rate-limited routes fail open and stay fast; readiness reports Redis degraded but stays 200', async () => {
    const user = await signUp(t.http);
    for (let i = 0; i < 3; i++) {
      const started = performance.now();
      const res = await t.http
        .post('/v1/auth/login')
        .send({ email: user.email, password: user.password });
      expect(res.status).toBe(200);
      expect(res.headers['ratelimit-limit']).toBeUndefined();
      expect(performance.now() - started).toBeLessThan(1_000);
    }
    const ready = await t.http.get('/health/ready').expect(200);
    expect(ready.body.info.redis).toMatchObject({ status: 'up', degraded: true });
  });
});
