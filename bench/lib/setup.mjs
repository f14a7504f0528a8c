// What every load script needs before it measures: Keel's settings, users, seeded items,
// and the per-server request context.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { ADMIN, expectJson, startKeel, watchRss } from './keel.mjs';
import { defaultGenerator, load, writeRequests } from './load.mjs';
import { unread } from './scenarios.mjs';

/** Keel as it runs in production, with the login limits raised so scenario 5 can run. */
export const KEEL_ENV = {
  NODE_ENV: 'production',
  JWT_SECRET: randomBytes(32).toString('hex'),
  AUTH_RATE_LIMIT_PER_IP: '1000000',
  AUTH_RATE_LIMIT_PER_ACCOUNT: '1000000',
  // The seeded users' tokens must outlive a full run (about ten minutes).
  JWT_ACCESS_TTL_SECONDS: '3600',
};
const USERS = 8;
function* csv(count) {
  yield 'name,price,description\n';
  for (let i = 1; i <= count; i += 1000) {
    let chunk = '';
    for (let j = i; j < Math.min(i + 1000, count + 1); j++) {
      chunk += `Seeded item ${j},${(j % 100000) / 100},Seeded by the benchmark\n`;
    }
    yield chunk;
  }
}

/**
 * Users and `rows` items (imported as a job, as a client would) on `data`, by a Keel process of
 * its own, so the measured process starts fresh (the import's memory is not counted).
 * Returns the users and the items in `-createdAt` order.
 */
export async function seed(data, rows) {
  const keel = await startKeel({ data, env: KEEL_ENV });
  try {
    return await seedThrough(keel, rows);
  } finally {
    await keel.stop();
  }
}

async function seedThrough(keel, rows) {
  const admin = await expectJson(keel, 200, 'POST', '/v1/auth/login', { body: ADMIN });
  const users = [];
  for (let i = 0; i < USERS; i++) {
    const user = { email: `bench-${i}@keel.test`, password: `bench-password-${i}` };
    await expectJson(keel, 201, 'POST', '/v1/auth/register', {
      body: { ...user, displayName: `Bench ${i}` },
    });
    const login = await expectJson(keel, 200, 'POST', '/v1/auth/login', { body: user });
    users.push({ ...user, token: login.accessToken });
  }
  const token = admin.accessToken;
  const job = await expectJson(keel, 202, 'POST', '/v1/items/imports', {
    token,
    type: 'text/csv',
    body: Readable.from(csv(rows)),
  });
  for (;;) {
    const now = await expectJson(keel, 200, 'GET', `/v1/jobs/${job.id}`, { token });
    if (now.state === 'succeeded') break;
    if (now.state !== 'queued' && now.state !== 'running') {
      throw new Error(`seeding ${keel.profile}: the import ended ${now.state}: ${now.reason}`);
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  const exported = await keel.call('GET', '/v1/items/export?format=ndjson&sort=-createdAt', {
    token,
  });
  const items = exported.text
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line));
  if (items.length !== rows) throw new Error(`seeded ${items.length} items, not ${rows}`);
  return { users, items };
}

/** Hot ids, unread ids and deep cursors for one server; each context walks its own copies. */
export function contextFor({ users, items }) {
  const hotIds = items.slice(0, 100).map((item) => item.id);
  const coldIds = items.slice(100).map((item) => item.id);
  // The list's cursor after an item (libs/items/src/queries/list-items/item-page.ts).
  const deep = items.slice(Math.floor(items.length / 2));
  const cursors = deep.map((item) =>
    Buffer.from(JSON.stringify(['-createdAt', item.createdAt, item.id])).toString('base64url'),
  );
  return { users, hotIds, coldIds: unread(coldIds), deepCursors: unread(cursors) };
}

/**
 * One load run of `seconds` against `target` by `generator` (bench/lib/load.mjs), in its own
 * process; the server's RSS is sampled meanwhile. `hitRatio` is the share of X-Cache: HIT
 * among the answers that carried the header (undefined when none did).
 */
export async function measure(target, scenario, ctx, options) {
  const { seconds, connections, generator = defaultGenerator() } = options;
  const dir = mkdtempSync(join(tmpdir(), 'keel-bench-load-'));
  const file = join(dir, 'requests.tsv');
  writeRequests(file, scenario.requests(ctx));
  const stopRss = watchRss(target.rssMb);
  const cpuBefore = target.cpuSeconds();
  try {
    const result = await load(generator, { base: target.base, file, seconds, connections });
    const rss = stopRss();
    const requests = result.rps * seconds;
    const cpuUs = requests > 0 ? ((target.cpuSeconds() - cpuBefore) / requests) * 1e6 : 0;
    scenario.walk?.(ctx).advance(result.sent);
    const answered = result.hits + result.misses;
    return {
      rps: result.rps,
      p50: result.p50,
      p99: result.p99,
      max: result.max,
      errors: result.errors,
      non2xx: result.non2xx,
      hits: result.hits,
      misses: result.misses,
      hitRatio: answered > 0 ? result.hits / answered : undefined,
      cpuUs,
      rssMb: rss.largest,
      rssTotalMb: rss.total,
      pssTotalMb: rss.pss,
      wrapped: scenario.walk?.(ctx).wrapped() ?? false,
    };
  } finally {
    stopRss();
    rmSync(dir, { recursive: true, force: true });
  }
}
