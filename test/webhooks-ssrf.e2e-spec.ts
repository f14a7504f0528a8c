import {
  createItem,
  createTestDatabase,
  eventually,
  profile,
  signUp,
  startTestApp,
  startWebhookReceiver,
  tempDataDir,
  type SignedIn,
  type TestApp,
  type WebhookReceiver,
} from '@keel/testing';
import { rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { loopbackOnlyNetwork, type LoopbackOnlyNetwork } from './support/loopback-only-network';

interface Attempt {
  outcome: string;
  statusCode: number | null;
}

/**
 * The app's deliveries go through the guarded client: what the allowlist does not name is
 * refused when the connection is made, whatever was allowed when the URL was saved, and a
 * redirect is never followed. No packet can leave the machine: every connection to anything
 * but a loopback address fails in this process and is recorded, and the suite checks that
 * none was tried.
 */
describe('Webhooks: server-side request forgery', () => {
  const dataDir = tempDataDir('keel-webhooks-ssrf-');
  let database: { url: string; drop: () => Promise<void> } | undefined;
  let t: TestApp | undefined;
  let network: LoopbackOnlyNetwork;
  let alice: SignedIn;
  let receiver: WebhookReceiver;

  /** The app on the same data, with `allow` as WEBHOOK_ALLOW_HOSTS. */
  async function start(allow: string): Promise<TestApp> {
    await t?.close();
    t = await startTestApp({
      DATA_DIR: dataDir,
      ...(database ? { DATABASE_URL: database.url } : {}),
      JWT_SECRET: 'a-fixed-secret-so-tokens-survive-restarts-0123456789',
      WEBHOOK_ALLOW_HOSTS: allow,
      WEBHOOK_RETRY_SCHEDULE: '300ms,300ms,300ms',
      WEBHOOK_POLL_MS: '200',
    });
    return t;
  }

  const attempts = async (app: TestApp, webhookId: string): Promise<Attempt[]> => {
    const res = await app.http.get(`/v1/webhooks/${webhookId}/deliveries`).set(alice.auth);
    return (res.body as { data: Array<{ attempts: Attempt[] }> }).data.flatMap((d) => d.attempts);
  };

  beforeAll(async () => {
    network = loopbackOnlyNetwork();
    if (profile.databaseUrl) database = await createTestDatabase(profile.databaseUrl);
    receiver = await startWebhookReceiver();
  });
  afterAll(async () => {
    await t?.close();
    await receiver.close();
    await database?.drop();
    rmSync(dataDir, { recursive: true, force: true });
    network.restore();
  });
  afterEach(() => {
    expect(network.refused).toEqual([]);
  });

  it('refuses loopback, private and metadata URLs when the allowlist is empty', async () => {
    const app = await start('');
    alice = await signUp(app.http);
    for (const url of [
      receiver.url,
      receiver.url.replace('127.0.0.1', 'localhost'),
      receiver.url.replace('127.0.0.1', '[::1]'),
      receiver.url.replace('127.0.0.1', '[::ffff:127.0.0.1]'),
      'http://169.254.169.254/latest/meta-data/',
      'http://192.168.0.1/hook',
    ]) {
      const res = await app.http
        .post('/v1/webhooks')
        .set(alice.auth)
        .send({ url, eventTypes: ['item.*'] });
      expect({ url, status: res.status }).toEqual({ url, status: 400 });
    }
  });

  it('checks the target again on every attempt: a URL allowed when saved is refused once it is not', async () => {
    let app = await start('127.0.0.1');
    const hook = (
      await app.http
        .post('/v1/webhooks')
        .set(alice.auth)
        .send({ url: receiver.url, eventTypes: ['item.*'] })
        .expect(201)
    ).body as { id: string };
    await createItem(app.http, alice, { name: 'Allowed' });
    await eventually(() => receiver.received.length === 1);

    app = await start('');
    await createItem(app.http, alice, { name: 'No longer allowed' });
    await eventually(async () =>
      (await attempts(app, hook.id)).some((a) => a.outcome === 'refused'),
    );
    expect(receiver.received).toHaveLength(1);
  });

  it('does not follow a redirect to the metadata address', async () => {
    const redirecting: Server = createServer((_req, res) =>
      res.writeHead(302, { location: 'http://169.254.169.254/latest/meta-data/' }).end(),
    );
    await new Promise<void>((resolve) => redirecting.listen(0, '127.0.0.1', resolve));
    try {
      const app = await start('127.0.0.1');
      const port = (redirecting.address() as AddressInfo).port;
      const hook = (
        await app.http
          .post('/v1/webhooks')
          .set(alice.auth)
          .send({ url: `http://127.0.0.1:${port}/hook`, eventTypes: ['item.*'] })
          .expect(201)
      ).body as { id: string };
      await createItem(app.http, alice, { name: 'Redirected' });
      await eventually(async () => (await attempts(app, hook.id)).length > 0);
      expect((await attempts(app, hook.id))[0]).toMatchObject({
        outcome: 'http_error',
        statusCode: 302,
      });
    } finally {
      await new Promise((resolve) => redirecting.close(resolve));
    }
  });
});
