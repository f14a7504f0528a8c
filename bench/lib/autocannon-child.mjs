// autocannon in a process of its own (bench/lib/load.mjs forks it where wrk is not installed),
// so the generator never shares the runner's event loop. Reads the same request file as
// wrk-load.lua, sends the requests in order (wrapping), counts X-Cache, and reports once.
import autocannon from 'autocannon';
import { readRequests } from './load.mjs';

process.once('message', async ({ base, file, seconds, connections }) => {
  const list = readRequests(file);
  let sent = 0;
  const cache = { HIT: 0, MISS: 0 };
  const result = await autocannon({
    url: base,
    connections,
    duration: seconds,
    timeout: 10,
    requests: [
      {
        setupRequest: (req) => ({ ...req, ...list[sent++ % list.length] }),
        onResponse: (_status, _body, _ctx, headers) => {
          const seen = headers['x-cache'];
          if (seen in cache) cache[seen]++;
        },
      },
    ],
  });
  process.send({
    rps: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    max: result.latency.max,
    errors: result.errors, // timeouts included
    non2xx: result.non2xx,
    sent,
    hits: cache.HIT,
    misses: cache.MISS,
  });
  process.disconnect();
});
