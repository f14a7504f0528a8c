import type { DataSource } from 'typeorm';
import { randomBytes } from 'node:crypto';
import type TestAgent from 'supertest/lib/agent';
import { ADMIN } from './test-app';

export interface SignedIn {
  id: string;
  email: string;
  password: string;
  accessToken: string;
  refreshToken: string;
  auth: { Authorization: string };
}

let counter = 0;

export function newUserInput(
  overrides: Partial<{ email: string; password: string; displayName: string }> = {},
) {
  counter += 1;
  return {
    email: `user${counter}-${randomBytes(3).toString('hex')}@keel.test`,
    password: `password-${counter}-long`,
    displayName: `User ${counter}`,
    ...overrides,
  };
}

export async function login(http: TestAgent, email: string, password: string): Promise<SignedIn> {
  const res = await http.post('/v1/auth/login').send({ email, password }).expect(200);
  const body = res.body as { accessToken: string; refreshToken: string };
  const me = await http
    .get('/v1/users/me')
    .set('Authorization', `Bearer ${body.accessToken}`)
    .expect(200);
  return {
    id: (me.body as { id: string }).id,
    email,
    password,
    accessToken: body.accessToken,
    refreshToken: body.refreshToken,
    auth: { Authorization: `Bearer ${body.accessToken}` },
  };
}

/** Registers a new user and signs them in. */
export async function signUp(
  http: TestAgent,
  overrides: Parameters<typeof newUserInput>[0] = {},
): Promise<SignedIn> {
  const input = newUserInput(overrides);
  await http.post('/v1/auth/register').send(input).expect(201);
  return login(http, input.email, input.password);
}

export function signInAdmin(http: TestAgent): Promise<SignedIn> {
  return login(http, ADMIN.email, ADMIN.password);
}

export interface WalkedPage<T> {
  data: T[];
  nextCursor: string | null;
  /** The page's X-Cache header. */
  cache: string;
}

/** Follows `nextCursor` from the first page to the last, recording every page. */
export async function walkPages<T>(
  http: TestAgent,
  path: string,
  query: Record<string, string | number>,
): Promise<{ pages: Array<WalkedPage<T>>; items: T[] }> {
  const pages: Array<WalkedPage<T>> = [];
  let cursor: string | null = null;
  do {
    const res = await http
      .get(path)
      .query({ ...query, ...(cursor ? { cursor } : {}) })
      .expect(200);
    const page = res.body as { data: T[]; nextCursor: string | null };
    pages.push({ ...page, cache: String(res.headers['x-cache']) });
    cursor = page.nextCursor;
    if (pages.length > 1000) throw new Error('the walk does not end');
  } while (cursor);
  return { pages, items: pages.flatMap((p) => p.data) };
}

/** Polls `check` until it is true; fails after `timeoutMs`. */
export async function eventually(
  check: () => boolean | Promise<boolean>,
  timeoutMs = 10_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 100));
  }
}

/**
 * Waits until the relay has published every outbox row, and a moment more for its delivery
 * here. An event that arrives while a read is loading drops that load's result from the
 * cache (it may be stale), so tests that count cache hits let earlier writes' events land.
 */
export async function eventsDelivered(db: DataSource): Promise<void> {
  await eventually(async () => {
    const rows = await db.query<Array<{ pending: number }>>(
      'SELECT count(*)::int AS pending FROM outbox WHERE published_at IS NULL',
    );
    return rows[0]?.pending === 0;
  });
  await new Promise((resolve) => setTimeout(resolve, 200));
}

/** Creates an item as `who` (price 1.00 unless given) and returns its body. */
export async function createItem(
  http: TestAgent,
  who: SignedIn,
  fields: { name: string; price?: string; description?: string },
): Promise<{ id: string; name: string; version: number }> {
  const res = await http
    .post('/v1/items')
    .set(who.auth)
    .send({ price: '1.00', ...fields })
    .expect(201);
  return res.body as { id: string; name: string; version: number };
}
