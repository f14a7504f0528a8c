import {
  createItem,
  eventually,
  freePort,
  itemsCsv,
  type ReceivedWebhook,
  type SignedIn,
  signInAdmin,
  signUp,
  startImport,
  startTestApp,
  startWebhookReceiver,
  type TestApp,
  type WebhookReceiver,
} from '@keel/testing';
import { Metrics } from '@keel/core';
import { Webhook as Verifier } from 'standardwebhooks';

/**
 * Webhooks end to end, against real HTTP receivers on 127.0.0.1 (allowed by
 * WEBHOOK_ALLOW_HOSTS). Short retry schedule and breaker so the suite runs in seconds.
 */
const settings = {
  WEBHOOK_ALLOW_HOSTS: '127.0.0.1',
  WEBHOOK_RETRY_SCHEDULE: '300ms,1s,1500ms,2s,2s,2s',
  WEBHOOK_BREAKER_FAILURES: '3',
  WEBHOOK_BREAKER_COOLDOWN_MS: '1000',
  WEBHOOK_TIMEOUT_MS: '1500',
  WEBHOOK_CONNECT_TIMEOUT_MS: '1000',
  WEBHOOK_CONCURRENCY: '4',
  WEBHOOK_ENDPOINT_CONCURRENCY: '2',
  WEBHOOK_POLL_MS: '200',
};

interface CreatedWebhook {
  id: string;
  secret: string;
}

interface Delivery {
  id: string;
  eventType: string;
  aggregateId: string;
  state: string;
  attempts: Array<{
    number: number;
    outcome: string;
    statusCode: number | null;
    latencyMs: number;
  }>;
}

describe('Webhooks', () => {
  let t: TestApp;
  let alice: SignedIn;
  const receivers: WebhookReceiver[] = [];

  const receiver = async (port?: number) => {
    const r = await startWebhookReceiver(port);
    receivers.push(r);
    return r;
  };

  const subscribe = async (
    who: SignedIn,
    url: string,
    eventTypes: string[] = ['item.*'],
  ): Promise<CreatedWebhook> =>
    (await t.http.post('/v1/webhooks').set(who.auth).send({ url, eventTypes }).expect(201))
      .body as CreatedWebhook;

  const deliveries = async (who: SignedIn, webhookId: string): Promise<Delivery[]> =>
    (await t.http.get(`/v1/webhooks/${webhookId}/deliveries`).set(who.auth).expect(200)).body
      .data as Delivery[];

  const verify = (secret: string, r: ReceivedWebhook) =>
    new Verifier(secret).verify(r.body, {
      'webhook-id': String(r.headers['webhook-id']),
      'webhook-timestamp': String(r.headers['webhook-timestamp']),
      'webhook-signature': String(r.headers['webhook-signature']),
    });

  beforeAll(async () => {
    t = await startTestApp(settings);
    alice = await signUp(t.http);
  });
  afterAll(async () => {
    await Promise.all(receivers.map((r) => r.close()));
    await t?.close();
  });

  it('creates, lists, changes and deletes a webhook; the secret is shown once', async () => {
    const r = await receiver();
    const created = await subscribe(alice, r.url, ['item.created', 'user.*']);
    expect(created.secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    expect(created).toMatchObject({ url: r.url, enabled: true, circuit: 'closed' });

    const list = await t.http.get('/v1/webhooks').set(alice.auth).expect(200);
    expect(list.body.data.map((w: { id: string }) => w.id)).toContain(created.id);
    expect(JSON.stringify(list.body)).not.toContain('whsec_');

    const changed = await t.http
      .patch(`/v1/webhooks/${created.id}`)
      .set(alice.auth)
      .send({ eventTypes: ['item.*'], description: 'shop sync' })
      .expect(200);
    expect(changed.body).toMatchObject({ eventTypes: ['item.*'], description: 'shop sync' });

    // Another user's webhook does not exist for them.
    const bob = await signUp(t.http);
    await t.http.get(`/v1/webhooks/${created.id}`).set(bob.auth).expect(404);
    await t.http.delete(`/v1/webhooks/${created.id}`).set(bob.auth).expect(404);

    await t.http.delete(`/v1/webhooks/${created.id}`).set(alice.auth).expect(204);
    await t.http.get(`/v1/webhooks/${created.id}`).set(alice.auth).expect(404);
  });

  it('refuses bad URLs and event types with a 400 problem', async () => {
    for (const url of [
      'ftp://example.com/hook',
      'http://user:pass@127.0.0.1/hook',
      'http://169.254.169.254/latest/meta-data',
      'http://10.1.2.3/hook',
      'not a url',
    ]) {
      const res = await t.http
        .post('/v1/webhooks')
        .set(alice.auth)
        .send({ url, eventTypes: ['item.*'] })
        .expect(400);
      expect(res.headers['content-type']).toContain('application/problem+json');
      expect(res.body.errors).toEqual([{ field: 'url', message: expect.any(String) }]);
    }
    const bad = await t.http
      .post('/v1/webhooks')
      .set(alice.auth)
      .send({ url: 'https://example.com/hook', eventTypes: ['Item.Created', 'item.*.x'] })
      .expect(400);
    expect(bad.body.errors[0].field).toBe('eventTypes');
  });

  it('signs each delivery (Standard Webhooks) and sends the event as the audit log shows it', async () => {
    const r = await receiver();
    const hook = await subscribe(alice, r.url);
    const item = await createItem(t.http, alice, { name: 'Signed' });
    await eventually(() => r.received.length >= 1);
    const [got] = r.received;
    expect(verify(hook.secret, got)).toMatchObject({ type: 'item.created', aggregateId: item.id });
    // Tampered body or another secret: refused.
    expect(() =>
      verify(hook.secret, { ...got, body: got.body.replace('Signed', 'Forged') }),
    ).toThrow();
    const other = (await subscribe(alice, r.url)).secret;
    expect(() => verify(other, got)).toThrow();

    const admin = await signInAdmin(t.http);
    const audit = await t.http
      .get('/v1/events')
      .query({ aggregateId: item.id, type: 'item.created' })
      .set(admin.auth)
      .expect(200);
    // The same event, field for field; only `publishedAt` may still be null when it is sent.
    const logged = { ...audit.body.data[0], publishedAt: expect.anything() };
    expect({ ...got.event, publishedAt: got.event.publishedAt ?? 'not yet' }).toEqual(logged);
    const [delivery] = await deliveries(alice, hook.id);
    expect(got.headers['webhook-id']).toBe(delivery.id);
    await t.http.delete(`/v1/webhooks/${hook.id}`).set(alice.auth).expect(204);
  });

  it('retries a 500 with growing delays: the third attempt succeeds, all three are logged', async () => {
    const r = await receiver();
    r.answer = (_req, i) => (i < 2 ? 500 : 200);
    const hook = await subscribe(alice, r.url);
    await createItem(t.http, alice, { name: 'Retried' });
    await eventually(async () => (await deliveries(alice, hook.id))[0]?.state === 'delivered');
    const [delivery] = await deliveries(alice, hook.id);
    expect(delivery.attempts.map((a) => [a.number, a.outcome, a.statusCode])).toEqual([
      [1, 'http_error', 500],
      [2, 'http_error', 500],
      [3, 'success', 200],
    ]);
    expect(r.received).toHaveLength(3);
    expect(new Set(r.received.map((x) => x.headers['webhook-id'])).size).toBe(1);
    for (const x of r.received) verify(hook.secret, x);
    const gaps = [r.received[1].at - r.received[0].at, r.received[2].at - r.received[1].at];
    // Retry 1 waits up to 300 ms, retry 2 between 300 ms and 1 s.
    expect({ gaps, growing: gaps[1] > gaps[0] }).toMatchObject({ growing: true });
    await t.http.delete(`/v1/webhooks/${hook.id}`).set(alice.auth).expect(204);
  });

  it('a receiver down for a while gets everything after, in order per aggregate, each webhook-id once', async () => {
    const port = await freePort();
    const hook = await subscribe(alice, `http://127.0.0.1:${port}/hook`);
    const items = [];
    for (let i = 0; i < 3; i++) items.push(await createItem(t.http, alice, { name: `Down ${i}` }));
    for (let round = 0; round < 2; round++) {
      for (const [i, item] of items.entries()) {
        await t.http
          .patch(`/v1/items/${item.id}`)
          .set(alice.auth)
          .set('If-Match', `"${item.version + round}"`)
          .send({ name: `Down ${i} v${round + 2}` })
          .expect(200);
      }
    }
    // Refused connections open the circuit; the endpoint waits.
    await eventually(async () => {
      const res = await t.http.get(`/v1/webhooks/${hook.id}`).set(alice.auth).expect(200);
      return res.body.circuit !== 'closed';
    });
    await new Promise((resolve) => setTimeout(resolve, 1500));
    const r = await receiver(port);
    await eventually(() => r.received.length >= 9, 20_000);
    await new Promise((resolve) => setTimeout(resolve, 500));
    const ids = r.received.map((x) => x.headers['webhook-id']);
    expect(ids).toHaveLength(9);
    expect(new Set(ids).size).toBe(9);
    for (const item of items) {
      const names = r.received
        .filter((x) => x.event.aggregateId === item.id)
        .map((x) => `${x.event.type} ${String((x.event.data.item as { name: string }).name)}`);
      const n = items.indexOf(item);
      expect(names).toEqual([
        `item.created Down ${n}`,
        `item.updated Down ${n} v2`,
        `item.updated Down ${n} v3`,
      ]);
    }
    await eventually(async () => {
      const res = await t.http.get(`/v1/webhooks/${hook.id}`).set(alice.auth).expect(200);
      return res.body.circuit === 'closed';
    });
    await t.http.delete(`/v1/webhooks/${hook.id}`).set(alice.auth).expect(204);
  }, 40_000);

  it('a hanging receiver does not delay a healthy one', async () => {
    const hanging = await receiver();
    hanging.answer = () => 'hang';
    const healthy = await receiver();
    const slow = await subscribe(alice, hanging.url);
    const fast = await subscribe(alice, healthy.url);
    const sent: number[] = [];
    for (let i = 0; i < 8; i++) {
      await createItem(t.http, alice, { name: `Latency ${i}` });
      sent.push(performance.now());
    }
    await eventually(() => healthy.received.length >= 8, 15_000);
    const latencies = healthy.received.map((x, i) => x.at - sent[i]);
    // The hanging endpoint holds two of four senders for 1.5 s per attempt; the healthy one
    // goes on through the others.
    expect(Math.max(...latencies)).toBeLessThan(1_000);
    expect(hanging.received.length).toBeGreaterThan(0);
    await eventually(async () =>
      (await deliveries(alice, slow.id)).some((d) =>
        d.attempts.some((a) => a.outcome === 'timeout'),
      ),
    );
    await t.http.delete(`/v1/webhooks/${slow.id}`).set(alice.auth).expect(204);
    await t.http.delete(`/v1/webhooks/${fast.id}`).set(alice.auth).expect(204);
  }, 30_000);

  it('opens the circuit after failures in a row, probes once, and closes it on success', async () => {
    const r = await receiver();
    r.answer = () => 503;
    const hook = await subscribe(alice, r.url);
    for (let i = 0; i < 4; i++) await createItem(t.http, alice, { name: `Breaker ${i}` });
    await eventually(async () => {
      const res = await t.http.get(`/v1/webhooks/${hook.id}`).set(alice.auth).expect(200);
      return res.body.circuit === 'open';
    });
    const whenOpened = r.received.length;
    expect(whenOpened).toBeGreaterThanOrEqual(3);
    // Open: nothing is sent until the cooldown (1 s) ends, then a single probe.
    await new Promise((resolve) => setTimeout(resolve, 600));
    expect(r.received.length).toBe(whenOpened);
    await eventually(() => r.received.length > whenOpened, 5_000);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(r.received.length).toBe(whenOpened + 1);

    r.answer = () => 200;
    await eventually(async () => {
      const all = await deliveries(alice, hook.id);
      return all.length === 4 && all.every((d) => d.state === 'delivered');
    }, 15_000);
    const res = await t.http.get(`/v1/webhooks/${hook.id}`).set(alice.auth).expect(200);
    expect(res.body).toMatchObject({ circuit: 'closed', consecutiveFailures: 0 });
    await t.http.delete(`/v1/webhooks/${hook.id}`).set(alice.auth).expect(204);
  }, 30_000);

  it('pings, and redelivers a delivery with the same webhook-id', async () => {
    const r = await receiver();
    const hook = await subscribe(alice, r.url);
    const ping = await t.http.post(`/v1/webhooks/${hook.id}/ping`).set(alice.auth).expect(202);
    expect(ping.body).toMatchObject({ eventType: 'webhook.ping', state: 'pending' });
    await eventually(() => r.received.length === 1);
    expect(verify(hook.secret, r.received[0])).toMatchObject({ type: 'webhook.ping' });
    expect(r.received[0].headers['webhook-id']).toBe(ping.body.id);

    await eventually(async () => (await deliveries(alice, hook.id))[0].state === 'delivered');
    await t.http
      .post(`/v1/webhooks/${hook.id}/deliveries/${ping.body.id}/redeliver`)
      .set(alice.auth)
      .expect(202);
    await eventually(() => r.received.length === 2);
    expect(r.received[1].headers['webhook-id']).toBe(ping.body.id);
    await eventually(async () => (await deliveries(alice, hook.id))[0].attempts.length === 2);

    const bob = await signUp(t.http);
    await t.http
      .post(`/v1/webhooks/${hook.id}/deliveries/${ping.body.id}/redeliver`)
      .set(bob.auth)
      .expect(404);
    await t.http.post(`/v1/webhooks/${hook.id}/ping`).set(bob.auth).expect(404);
    await t.http
      .post(`/v1/webhooks/${hook.id}/deliveries/00000000-0000-4000-8000-000000000000/redeliver`)
      .set(alice.auth)
      .expect(404);
    await t.http.delete(`/v1/webhooks/${hook.id}`).set(alice.auth).expect(204);
  });

  it('sends a user only events they may see on the event stream', async () => {
    const bob = await signUp(t.http);
    const forAlice = await receiver();
    const forBob = await receiver();
    const a = await subscribe(alice, forAlice.url, ['*']);
    const b = await subscribe(bob, forBob.url, ['*']);
    await startImport(t.http, bob, itemsCsv(2, 'Visible'));
    const marker = await createItem(t.http, bob, { name: 'Marker' });
    const seen = (r: WebhookReceiver) => r.received.some((x) => x.event.aggregateId === marker.id);
    await eventually(
      () =>
        seen(forAlice) &&
        seen(forBob) &&
        forBob.received.some((x) => x.event.type === 'job.succeeded'),
      15_000,
    );
    expect(forBob.received.some((x) => x.event.type.startsWith('job.'))).toBe(true);
    // Bob's jobs, webhooks and account reach Bob, never Alice; both get item events.
    const bobsPrivate = (x: ReceivedWebhook) =>
      x.event.type.startsWith('job.') ||
      x.event.aggregateId === bob.id ||
      (x.event.type.startsWith('webhook.') && x.event.actorId === bob.id);
    expect(forBob.received.some(bobsPrivate)).toBe(true);
    expect(forAlice.received.filter(bobsPrivate)).toEqual([]);
    await t.http.delete(`/v1/webhooks/${a.id}`).set(alice.auth).expect(204);
    await t.http.delete(`/v1/webhooks/${b.id}`).set(bob.auth).expect(204);
  }, 30_000);

  it('signs with both secrets while a rotation overlaps', async () => {
    const r = await receiver();
    const hook = await subscribe(alice, r.url);
    const rotated = await t.http
      .post(`/v1/webhooks/${hook.id}/secret/rotate`)
      .set(alice.auth)
      .expect(200);
    expect(rotated.body.secret).not.toBe(hook.secret);
    expect(Date.parse(rotated.body.previousSecretExpiresAt)).toBeGreaterThan(Date.now());
    await createItem(t.http, alice, { name: 'Rotated' });
    await eventually(() => r.received.length === 1);
    const [got] = r.received;
    expect(String(got.headers['webhook-signature']).split(' ')).toHaveLength(2);
    expect(verify(rotated.body.secret, got)).toMatchObject({ type: 'item.created' });
    expect(verify(hook.secret, got)).toMatchObject({ type: 'item.created' });
    await t.http.delete(`/v1/webhooks/${hook.id}`).set(alice.auth).expect(204);
  });

  it('follows no redirect: a 3xx is a failed attempt', async () => {
    const target = await receiver();
    const r = await receiver();
    r.answer = () => 302;
    const hook = await subscribe(alice, r.url);
    await createItem(t.http, alice, { name: 'Redirected' });
    await eventually(async () => (await deliveries(alice, hook.id))[0]?.attempts.length >= 1);
    const [delivery] = await deliveries(alice, hook.id);
    expect(delivery.attempts[0]).toMatchObject({ outcome: 'http_error', statusCode: 302 });
    expect(target.received).toHaveLength(0);
    await t.http.delete(`/v1/webhooks/${hook.id}`).set(alice.auth).expect(204);
  });

  it('reports attempts by outcome, the backlog and endpoints by circuit state', async () => {
    const text = await t.app.get(Metrics).registry.metrics();
    const value = (series: string) =>
      Number(new RegExp(`^${series.replace(/[{}]/g, '\\$&')} (\\S+)$`, 'm').exec(text)?.[1]);
    expect(value('keel_webhook_attempts_total{outcome="success"}')).toBeGreaterThan(10);
    expect(value('keel_webhook_attempts_total{outcome="http_error"}')).toBeGreaterThan(3);
    expect(value('keel_webhook_attempts_total{outcome="timeout"}')).toBeGreaterThan(0);
    expect(value('keel_webhook_attempt_duration_seconds_count')).toBeGreaterThan(10);
    expect(value('keel_webhook_deliveries_pending')).toBeGreaterThanOrEqual(0);
    expect(value('keel_webhook_endpoints{state="closed"}')).toBeGreaterThanOrEqual(0);
    // No series per endpoint or delivery.
    expect(text).not.toMatch(/keel_webhook[^\n]*[0-9a-f]{8}-[0-9a-f]{4}-/);
  });
});

describe('Webhooks: an endpoint failing too long', () => {
  let t: TestApp;
  const receivers: WebhookReceiver[] = [];
  afterAll(async () => {
    await Promise.all(receivers.map((r) => r.close()));
    await t?.close();
  });

  it('is disabled, its owner is told by a webhook.disabled event, and turning it on resumes it', async () => {
    t = await startTestApp({
      ...settings,
      WEBHOOK_BREAKER_FAILURES: '100',
      WEBHOOK_DISABLE_AFTER_SECONDS: '1',
      WEBHOOK_RETRY_SCHEDULE: '300ms,300ms,300ms,300ms,300ms,300ms,300ms,300ms,300ms,300ms',
    });
    const owner = await signUp(t.http);
    const [failing, notices] = [await startWebhookReceiver(), await startWebhookReceiver()];
    receivers.push(failing, notices);
    failing.answer = () => 500;
    const hook = (
      await t.http
        .post('/v1/webhooks')
        .set(owner.auth)
        .send({ url: failing.url, eventTypes: ['item.*'] })
        .expect(201)
    ).body as CreatedWebhook;
    await t.http
      .post('/v1/webhooks')
      .set(owner.auth)
      .send({ url: notices.url, eventTypes: ['webhook.disabled'] })
      .expect(201);
    await createItem(t.http, owner, { name: 'Never taken' });

    await eventually(() => notices.received.length === 1, 15_000);
    expect(notices.received[0].event).toMatchObject({
      type: 'webhook.disabled',
      aggregateId: hook.id,
      actorId: owner.id,
    });
    const res = await t.http.get(`/v1/webhooks/${hook.id}`).set(owner.auth).expect(200);
    expect(res.body).toMatchObject({ enabled: false, disabledReason: expect.any(String) });
    const tried = failing.received.length;
    await new Promise((resolve) => setTimeout(resolve, 800));
    expect(failing.received.length).toBe(tried);

    failing.answer = () => 200;
    await t.http
      .patch(`/v1/webhooks/${hook.id}`)
      .set(owner.auth)
      .send({ enabled: true })
      .expect(200);
    await eventually(async () => {
      const list = await t.http.get(`/v1/webhooks/${hook.id}/deliveries`).set(owner.auth);
      return list.body.data[0]?.state === 'delivered';
    }, 15_000);
  }, 60_000);
});
