// The load scenarios. Each builds autocannon `requests` from the seeded data (`ctx`); the same
// requests go to Keel and to the reference servers, which ignore the token.

/** A counter shared by every connection: walks `list` without repeating until it wraps. */
function cycle(list) {
  let next = 0;
  const walk = () => list[next++ % list.length];
  walk.wrapped = () => next > list.length;
  return walk;
}

const json = (token) => ({
  'content-type': 'application/json',
  ...(token ? { authorization: `Bearer ${token}` } : {}),
});

let created = 0;
function newItem(user) {
  created++;
  return {
    method: 'POST',
    path: '/v1/items',
    headers: json(user.token),
    body: JSON.stringify({
      name: `Bench item ${created}`,
      price: `${created % 1000}.99`,
      description: 'Created under load by the benchmark',
    }),
  };
}

const LIST = '/v1/items?limit=20&sort=-createdAt';

export const SCENARIOS = [
  {
    id: 1,
    name: 'GET item, cache hit',
    // The same hot ids over and over: served from the response cache.
    requests(ctx) {
      const id = cycle(ctx.hotIds);
      return [{ method: 'GET', setupRequest: (req) => ({ ...req, path: `/v1/items/${id()}` }) }];
    },
  },
  {
    id: 2,
    name: 'GET item, cache miss',
    // Every request names an id not read before in this run: the database answers.
    requests(ctx) {
      const id = ctx.coldIds;
      return [{ method: 'GET', setupRequest: (req) => ({ ...req, path: `/v1/items/${id()}` }) }];
    },
    wrapped: (ctx) => ctx.coldIds.wrapped(),
  },
  {
    id: 3,
    name: 'GET list, deep cursor',
    // `limit=20&sort=-createdAt` after a cursor in the older half of the table, a new one
    // each time, so no page comes from the cache.
    requests(ctx) {
      const cursor = ctx.deepCursors;
      return [
        {
          method: 'GET',
          setupRequest: (req) => ({ ...req, path: `${LIST}&cursor=${cursor()}` }),
        },
      ];
    },
    wrapped: (ctx) => ctx.deepCursors.wrapped(),
  },
  {
    id: 4,
    name: 'POST item, signed in',
    requests(ctx) {
      const user = cycle(ctx.users);
      return [{ setupRequest: (req) => ({ ...req, ...newItem(user()) }) }];
    },
  },
  {
    id: 5,
    name: 'POST login',
    requests(ctx) {
      const user = cycle(ctx.users);
      return [
        {
          setupRequest: (req) => {
            const { email, password } = user();
            return {
              ...req,
              method: 'POST',
              path: '/v1/auth/login',
              headers: json(),
              body: JSON.stringify({ email, password }),
            };
          },
        },
      ];
    },
  },
  {
    id: 6,
    name: 'Mix: 90% reads, 10% writes',
    // Per ten requests: six item reads (hot ids), three first pages of the list (dropped from
    // the cache by every write), one new item, by the seeded users in turn.
    requests(ctx) {
      const id = cycle(ctx.hotIds);
      const user = cycle(ctx.users);
      let n = 0;
      return [
        {
          setupRequest: (req) => {
            const slot = n++ % 10;
            if (slot === 9) return { ...req, ...newItem(user()) };
            const path = slot < 6 ? `/v1/items/${id()}` : LIST;
            return { ...req, method: 'GET', path, headers: {}, body: undefined };
          },
        },
      ];
    },
  },
  {
    id: 7,
    name: 'WEB_CONCURRENCY=2',
    // Scenarios 1 and 4 against two cluster workers, against one process in between.
    of: [1, 4],
  },
];

export { cycle };
