import { Outbox, recordEvent } from '@keel/events';
import {
  eventually,
  openEventStream,
  signInAdmin,
  signUp,
  startTestApp,
  type SignedIn,
  type TestApp,
} from '@keel/testing';

interface EventBody {
  id: string;
  seq: string;
  type: string;
  aggregateId: string;
  actorId: string | null;
  requestId: string | null;
  publishedAt: string | null;
  data: Record<string, unknown>;
}

describe('events', () => {
  let t: TestApp;
  let admin: SignedIn;
  let user: SignedIn;
  let base: string;

  beforeAll(async () => {
    t = await startTestApp({ EVENTS_STREAM_HEARTBEAT_MS: '200' });
    base = await t.listen();
    admin = await signInAdmin(t.http);
    user = await signUp(t.http);
  });
  afterAll(async () => {
    await t.close();
  });

  const createItem = async (name: string, requestId?: string) => {
    const req = t.http.post('/v1/items').set(user.auth).send({ name, price: '1.00' });
    if (requestId) void req.set('X-Request-Id', requestId);
    return (await req.expect(201)).body as { id: string; [field: string]: unknown };
  };
  const audit = async (query: Record<string, string | number>) =>
    (await t.http.get('/v1/events').query(query).set(admin.auth).expect(200)).body as {
      data: EventBody[];
      nextCursor: string | null;
    };

  describe('outbox', () => {
    it('records who did what in which request, and publishes it', async () => {
      const item = await createItem('audited', 'req-audit-0001');
      const { data } = await audit({ aggregateId: item.id });
      expect(data).toHaveLength(1);
      expect(data[0]).toMatchObject({
        type: 'item.created',
        aggregateId: item.id,
        actorId: user.id,
        requestId: 'req-audit-0001',
        data: { item },
      });
      // The event holds the item exactly as the create answered it, field for field.
      expect(data[0].data).toEqual({ item });
      await eventually(
        async () =>
          typeof (await audit({ aggregateId: item.id })).data[0]?.publishedAt === 'string',
      );
    });

    it('keeps an event exactly when its transaction commits', async () => {
      const outbox = t.app.get(Outbox);
      const aggregateId = `rollback-${Date.now()}`;
      await expect(
        outbox.transaction(async (tx) => {
          await recordEvent(tx, {
            type: 'test.rolled_back',
            aggregateType: 'test',
            aggregateId,
            actorId: null,
            data: {},
          });
          throw new Error('the change fails after its event was written');
        }),
      ).rejects.toThrow('the change fails');
      expect((await audit({ aggregateId })).data).toEqual([]);

      await outbox.transaction((tx) =>
        recordEvent(tx, {
          type: 'test.committed',
          aggregateType: 'test',
          aggregateId,
          actorId: null,
          data: {},
        }),
      );
      expect((await audit({ aggregateId })).data.map((e) => e.type)).toEqual(['test.committed']);
    });

    it('records no event for a write that is refused', async () => {
      const item = await createItem('guarded');
      await t.http
        .patch(`/v1/items/${item.id}`)
        .set(user.auth)
        .set('If-Match', '"7"')
        .send({ name: 'x' })
        .expect(412);
      expect((await audit({ aggregateId: item.id })).data.map((e) => e.type)).toEqual([
        'item.created',
      ]);
    });
  });

  describe('audit log', () => {
    it('records account and security events', async () => {
      const someone = await signUp(t.http);
      await t.http
        .post('/v1/auth/login')
        .send({ email: someone.email, password: 'wrong password 1' })
        .expect(401);
      const rotated = await t.http
        .post('/v1/auth/refresh')
        .send({ refreshToken: someone.refreshToken })
        .expect(200);
      // Once its successor was used too, the first token's reuse is not a second tab.
      await t.http
        .post('/v1/auth/refresh')
        .send({ refreshToken: (rotated.body as { refreshToken: string }).refreshToken })
        .expect(200);
      await t.http
        .post('/v1/auth/refresh')
        .send({ refreshToken: someone.refreshToken })
        .expect(401);
      await t.http
        .patch(`/v1/users/${someone.id}`)
        .set(admin.auth)
        .send({ roles: ['user', 'admin'] })
        .expect(200);
      const types = (await audit({ aggregateId: someone.id })).data.map((e) => e.type).reverse();
      expect(types).toEqual([
        'user.registered',
        'auth.email_verification_sent',
        'auth.login_failed',
        'auth.refresh_reused',
        'user.access_changed',
      ]);
      const changed = (await audit({ aggregateId: someone.id, type: 'user.access_changed' }))
        .data[0];
      expect(changed).toMatchObject({ actorId: admin.id, data: { roles: ['user', 'admin'] } });
    });

    it('is for admins only', async () => {
      await t.http.get('/v1/events').set(user.auth).expect(403);
      await t.http.get('/v1/events').expect(401);
    });

    it('filters by type and time and pages newest first', async () => {
      const from = new Date().toISOString();
      const items = [];
      for (let i = 0; i < 5; i++) items.push(await createItem(`paged ${i}`));
      const seen: EventBody[] = [];
      let cursor: string | null = null;
      do {
        const page = await audit({
          type: 'item.created',
          from,
          limit: 2,
          ...(cursor ? { cursor } : {}),
        });
        seen.push(...page.data);
        cursor = page.nextCursor;
      } while (cursor);
      expect(seen.map((e) => e.aggregateId)).toEqual(items.map((i) => i.id).reverse());
      expect(
        (await audit({ type: 'item.created', to: from })).data.map((e) => e.aggregateId),
      ).not.toContain(items[0]?.id);
    });

    it('rejects bad filters with 400', async () => {
      for (const query of ['type=DROP TABLE', 'from=yesterday', 'cursor=abc', 'limit=1000']) {
        await t.http.get(`/v1/events?${query}`).set(admin.auth).expect(400);
      }
    });
  });

  describe('stream', () => {
    it('pushes events to a signed-in client as they happen', async () => {
      const stream = await openEventStream(`${base}/v1/events/stream`, user.auth);
      try {
        expect(stream.status).toBe(200);
        const item = await createItem('streamed');
        const event = await stream.next((e) => e.data.aggregateId === item.id);
        expect(event).toMatchObject({ event: 'item.created', id: event.data.position });
        expect(event.data).toMatchObject({ publishedAt: expect.any(String) });
      } finally {
        stream.close();
      }
    });

    it('sends heartbeats while nothing happens', async () => {
      const stream = await openEventStream(`${base}/v1/events/stream`, user.auth);
      try {
        await eventually(() => stream.comments() >= 2, 5_000);
      } finally {
        stream.close();
      }
    });

    it('resumes after Last-Event-ID with nothing missed and nothing twice', async () => {
      const first = await openEventStream(`${base}/v1/events/stream`, user.auth);
      const before = await createItem('before the gap');
      const seen = await first.next((e) => e.data.aggregateId === before.id);
      first.close();
      const missed = [await createItem('gap 1'), await createItem('gap 2')];
      const resumed = await openEventStream(`${base}/v1/events/stream`, {
        ...user.auth,
        'Last-Event-ID': seen.id,
      });
      try {
        for (const item of missed) await resumed.next((e) => e.data.aggregateId === item.id);
        const after = await createItem('after the gap');
        await resumed.next((e) => e.data.aggregateId === after.id);
        const ids = resumed.events.map((e) => e.data.id);
        expect(new Set(ids).size).toBe(ids.length);
        expect(resumed.events.some((e) => e.data.aggregateId === before.id)).toBe(false);
      } finally {
        resumed.close();
      }
    });

    it('takes a ticket instead of the header, and nothing else in the query', async () => {
      const res = await t.http.post('/v1/auth/tickets').set(user.auth).expect(201);
      const ticket = (res.body as { ticket: string }).ticket;
      const stream = await openEventStream(`${base}/v1/events/stream?ticket=${ticket}`);
      try {
        expect(stream.status).toBe(200);
        const item = await createItem('ticketed');
        await stream.next((e) => e.data.aggregateId === item.id);
      } finally {
        stream.close();
      }
      const withAccessToken = await openEventStream(
        `${base}/v1/events/stream?ticket=${user.accessToken}`,
      );
      withAccessToken.close();
      expect(withAccessToken.status).toBe(401);
      const ticketAsBearer = await openEventStream(`${base}/v1/events/stream`, {
        Authorization: `Bearer ${ticket}`,
      });
      ticketAsBearer.close();
      expect(ticketAsBearer.status).toBe(401);
      await t.http.get(`/v1/users/me?ticket=${ticket}`).expect(401);
      await t.http.get('/v1/events/stream').set('Last-Event-ID', 'x').set(user.auth).expect(400);
    });
  });
});
