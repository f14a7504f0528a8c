// The load scenarios. Each lists the requests its load generator sends in order, wrapping at
// the end (bench/lib/load.mjs), built from the seeded data (`ctx`); the same requests go to
// Keel and to the reference servers. Plain data, so a generator in another process can send it.

/** A list walked once across all runs: each run gets the part not sent yet. */
export function unread(list) {
  let next = 0;
  let wrapped = false;
  return {
    rest() {
      if (next >= list.length) [next, wrapped] = [0, true];
      return list.slice(next);
    },
    /** After a run: `sent` requests of `rest()` were taken. */
    advance(sent) {
      if (next + sent > list.length) wrapped = true;
      next = Math.min(list.length, next + sent);
    },
    wrapped: () => wrapped,
  };
}

const times = (count, make) => Array.from({ length: count }, (_, i) => make(i));

/** A new item by `user`, the `n`th of the pattern. */
const newItem = (user, n) => ({
  method: 'POST',
  path: '/v1/items',
  token: user.token,
  body: {
    name: `Bench item ${n}`,
    price: `${n % 1000}.99`,
    description: 'Created under load by the benchmark',
  },
});

const LIST = '/v1/items?limit=20&sort=-createdAt';
const read = (id) => ({ method: 'GET', path: `/v1/items/${id}` });

export const SCENARIOS = [
  {
    id: 1,
    name: 'GET item, cache hit',
    // The same hot ids over and over: served from the response cache.
    requests: (ctx) => ctx.hotIds.map(read),
  },
  {
    id: 2,
    name: 'GET item, cache miss',
    // Every request names an id not read before by this server in this run: the database
    // answers. The hit ratio the server reports (X-Cache) is in the table.
    requests: (ctx) => ctx.coldIds.rest().map(read),
    walk: (ctx) => ctx.coldIds,
  },
  {
    id: 3,
    name: 'GET list, deep cursor',
    // `limit=20&sort=-createdAt` after a cursor in the older half of the table, a new one
    // each time, so no page comes from the cache.
    requests: (ctx) =>
      ctx.deepCursors.rest().map((cursor) => ({ method: 'GET', path: `${LIST}&cursor=${cursor}` })),
    walk: (ctx) => ctx.deepCursors,
  },
  {
    id: 4,
    name: 'POST item, signed in',
    requests: (ctx) => times(1000, (n) => newItem(ctx.users[n % ctx.users.length], n)),
  },
  {
    id: 5,
    name: 'POST login',
    requests: (ctx) =>
      ctx.users.map(({ email, password }) => ({
        method: 'POST',
        path: '/v1/auth/login',
        body: { email, password },
      })),
  },
  {
    id: 6,
    name: 'Mix: 90% reads, 10% writes',
    // Per ten requests: six item reads (hot ids), three first pages of the list (dropped from
    // the cache by every write), one new item, by the seeded users in turn.
    requests: (ctx) =>
      times(1000, (n) => {
        const slot = n % 10;
        const round = Math.floor(n / 10);
        if (slot === 9) return newItem(ctx.users[round % ctx.users.length], n);
        if (slot < 6) return read(ctx.hotIds[(round * 6 + slot) % ctx.hotIds.length]);
        return { method: 'GET', path: LIST };
      }),
  },
  {
    id: 7,
    name: 'WEB_CONCURRENCY=2',
    // Scenarios 1 and 4 against two cluster workers, against one process in between.
    of: [1, 4],
  },
];
