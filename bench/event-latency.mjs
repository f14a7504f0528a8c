// Delivery latency of domain events: from the moment `POST /v1/items` answers to the moment
// the event arrives on `GET /v1/events/stream`. Needs a running API:
//   node bench/event-latency.mjs [baseUrl=http://127.0.0.1:3000] [count=200]
import { request } from 'node:http';
import { randomBytes } from 'node:crypto';

const base = process.argv[2] ?? 'http://127.0.0.1:3000';
const count = Number(process.argv[3] ?? 200);

async function json(path, body, token) {
  const res = await fetch(`${base}${path}`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      ...(token ? { authorization: `Bearer ${token}` } : {}),
    },
    body: JSON.stringify(body),
  });
  if (!res.ok) throw new Error(`${path}: ${res.status} ${await res.text()}`);
  return res.json();
}

const email = `latency-${randomBytes(4).toString('hex')}@bench.test`;
const password = 'bench-password-1';
await json('/v1/auth/register', { email, password, displayName: 'Latency' });
const { accessToken } = await json('/v1/auth/login', { email, password });

const arrived = new Map();
const waiting = new Map();
const stream = request(`${base}/v1/events/stream`, {
  headers: { authorization: `Bearer ${accessToken}`, accept: 'text/event-stream' },
});
await new Promise((resolve, reject) => {
  stream.on('error', reject);
  stream.on('response', (res) => {
    let buffer = '';
    res.setEncoding('utf8');
    res.on('data', (chunk) => {
      buffer += chunk;
      let end;
      while ((end = buffer.indexOf('\n\n')) >= 0) {
        const data = buffer
          .slice(0, end)
          .split('\n')
          .find((line) => line.startsWith('data: '));
        buffer = buffer.slice(end + 2);
        if (!data) continue;
        const { aggregateId } = JSON.parse(data.slice(6));
        arrived.set(aggregateId, performance.now());
        waiting.get(aggregateId)?.();
      }
    });
    resolve();
  });
  stream.end();
});

const latencies = [];
for (let i = 0; i < count; i++) {
  const item = await json('/v1/items', { name: `latency ${i}`, price: '1.00' }, accessToken);
  const answered = performance.now();
  if (!arrived.has(item.id)) await new Promise((resolve) => waiting.set(item.id, resolve));
  latencies.push(Math.max(0, arrived.get(item.id) - answered));
}
stream.destroy();

latencies.sort((a, b) => a - b);
const at = (p) =>
  latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))];
console.log(
  JSON.stringify({
    events: count,
    p50Ms: +at(50).toFixed(2),
    p95Ms: +at(95).toFixed(2),
    p99Ms: +at(99).toFixed(2),
    maxMs: +latencies.at(-1).toFixed(2),
  }),
);
