// Starts the built API (dist/) as a child process on its own data, and talks to it.
// Used by every script in bench/.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { tmpdir } from 'node:os';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import pg from 'pg';

export const ADMIN = { email: 'bench-admin@keel.test', password: 'bench-password-1' };
const agent = new Agent({ keepAlive: true, maxSockets: 16 });

/** A port nothing listens on now: the system picks it. */
export function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/**
 * Data for Keel to run on. 'full' uses `DATABASE_URL`, `REDIS_URL` (and `RABBITMQ_URL` if set)
 * of this process: a database of its own on that server and a Redis key prefix of its own.
 * 'embedded' is a temporary DATA_DIR. `drop()` removes all of it.
 */
export async function createData(profile) {
  const suffix = randomBytes(4).toString('hex');
  const dataDir = mkdtempSync(join(tmpdir(), 'keel-bench-'));
  // As root the embedded Postgres runs as the user postgres, which must enter it.
  chmodSync(dataDir, 0o755);
  const database = profile === 'full' ? await createDatabase(`keel_bench_${suffix}`) : undefined;
  const keyPrefix = `keel-bench:${suffix}:`;
  return {
    profile,
    dataDir,
    database,
    keyPrefix,
    async drop() {
      rmSync(dataDir, { recursive: true, force: true });
      if (database) await dropDatabase(database.name);
      if (profile === 'full') await deleteRedisKeys(keyPrefix);
    },
  };
}

/**
 * The Node flags `npm start` gives Keel (package.json), so the bench measures Keel as it runs;
 * a variant's own flags come after them and win.
 */
export const START_FLAGS = JSON.parse(readFileSync('package.json', 'utf8'))
  .scripts.start.match(/ node ((?:--\S+ )*)dist\//)[1]
  .split(' ')
  .filter(Boolean);

/**
 * Starts the built API on `data` and waits until it is ready. `env` adds settings; `root` is
 * the checkout whose `dist/` runs (another build, for bench/compare.mjs). Several processes
 * may run on the same full-profile data, one at a time on embedded data.
 */
export async function startKeel({ data, env = {}, stdout = 'ignore', nodeArgs = [], root = '.' }) {
  const port = await freePort();
  // Metrics are on, as in production; each Keel of a run on its own port.
  const metricsPort = await freePort();
  const inherited = { ...process.env };
  if (data.profile === 'embedded') {
    for (const name of ['DATABASE_URL', 'REDIS_URL', 'RABBITMQ_URL']) delete inherited[name];
  }
  const child = spawn(
    process.execPath,
    [...START_FLAGS, ...nodeArgs, 'dist/apps/api/src/main.js'],
    {
      cwd: root,
      env: {
        ...inherited,
        PORT: String(port),
        METRICS_PORT: String(metricsPort),
        HOST: '127.0.0.1',
        DATA_DIR: data.dataDir,
        ADMIN_EMAIL: ADMIN.email,
        ADMIN_PASSWORD: ADMIN.password,
        ...(data.database ? { DATABASE_URL: data.database.url } : {}),
        ...(data.profile === 'full' ? { REDIS_KEY_PREFIX: data.keyPrefix } : {}),
        ...env,
      },
      stdio: ['ignore', stdout, 'inherit'],
    },
  );
  const exited = new Promise((resolve) => child.once('exit', resolve));
  const keel = {
    profile: data.profile,
    base: `http://127.0.0.1:${port}`,
    metricsUrl: `http://127.0.0.1:${metricsPort}/metrics`,
    pid: child.pid,
    call: (method, path, options) => call(`http://127.0.0.1:${port}`, method, path, options),
    /** Resident memory of the process and of its children (cluster workers), in MB. */
    rssMb: () => processTreeRss(child.pid),
    cpuSeconds: () => processTreeCpuSeconds(child.pid),
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
  try {
    await waitUntilReady(keel, exited);
  } catch (error) {
    await keel.stop();
    throw error;
  }
  return keel;
}

async function waitUntilReady(keel, exited) {
  let gone = false;
  void exited.then(() => (gone = true));
  for (let i = 0; i < 600 && !gone; i++) {
    try {
      if ((await keel.call('GET', '/health/ready')).status === 200) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`Keel (${keel.profile}) did not start`);
}

async function withServer(work) {
  const server = new pg.Client({ connectionString: process.env.DATABASE_URL });
  await server.connect();
  try {
    return await work(server);
  } finally {
    await server.end();
  }
}

async function createDatabase(name) {
  if (!process.env.DATABASE_URL) throw new Error('the full profile needs DATABASE_URL');
  await withServer((server) => server.query(`CREATE DATABASE ${name}`));
  const url = new URL(process.env.DATABASE_URL);
  url.pathname = `/${name}`;
  return { name, url: url.toString() };
}

async function dropDatabase(name) {
  await withServer((server) => server.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`));
}

async function deleteRedisKeys(prefix) {
  if (!process.env.REDIS_URL) return;
  const { Redis } = await import('ioredis');
  const redis = new Redis(process.env.REDIS_URL, { lazyConnect: true });
  await redis.connect();
  try {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
      if (keys.length > 0) await redis.unlink(...keys);
      cursor = next;
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
}

function rssOf(pid) {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0) / 1024;
  } catch {
    return 0; // the process is gone
  }
}

/** Proportional set size: shared pages (Postgres's shared buffers) divided among their users. */
function pssOf(pid) {
  try {
    const rollup = readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8');
    return Number(/Pss:\s+(\d+)/.exec(rollup)?.[1] ?? 0) / 1024;
  } catch {
    return 0;
  }
}

function childrenOf(pid) {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').split(' ').filter(Boolean);
  } catch {
    return [];
  }
}

function treeOf(pid) {
  return [pid, ...childrenOf(pid).flatMap(treeOf)];
}

/**
 * Memory in MB of `pid` and all its descendants (cluster workers, the embedded Postgres
 * server and its backends): `{ total, largest, pss }`. `total` sums RSS, counting shared
 * pages once per process; `pss` is the fair sum.
 */
export function processTreeRss(pid) {
  const tree = treeOf(pid);
  const each = tree.map(rssOf);
  return {
    total: each.reduce((a, b) => a + b, 0),
    largest: Math.max(...each),
    pss: tree.map(pssOf).reduce((a, b) => a + b, 0),
  };
}

/**
 * CPU time (user and system) the process and its children used so far, in seconds: what a
 * request costs does not depend on what else runs on the machine, unlike req/s.
 */
export function processTreeCpuSeconds(pid) {
  let ticks = 0;
  for (const each of [pid, ...childrenOf(pid)]) {
    try {
      // utime and stime: fields 14 and 15 of stat, in clock ticks (100 per second on Linux).
      const fields = readFileSync(`/proc/${each}/stat`, 'utf8').split(') ')[1].split(' ');
      ticks += Number(fields[11]) + Number(fields[12]);
    } catch {
      // gone meanwhile
    }
  }
  return ticks / 100;
}

/** Samples `rss()` every 100 ms until the returned function is called; it returns the peaks. */
export function watchRss(rss) {
  const peak = { total: 0, largest: 0, pss: 0 };
  const sample = () => {
    const now = rss();
    peak.total = Math.max(peak.total, now.total);
    peak.largest = Math.max(peak.largest, now.largest);
    peak.pss = Math.max(peak.pss, now.pss ?? 0);
  };
  sample();
  const timer = setInterval(sample, 100);
  return () => {
    clearInterval(timer);
    sample();
    return {
      total: Math.round(peak.total),
      largest: Math.round(peak.largest),
      pss: Math.round(peak.pss),
    };
  };
}

/**
 * One HTTP request. `body` is sent as JSON, or piped when it is a stream.
 * Resolves `{ status, headers, text, json() }`.
 */
export function call(base, method, path, { token, body, type = 'application/json' } = {}) {
  return new Promise((resolve, reject) => {
    const req = request(`${base}${path}`, {
      method,
      agent,
      headers: {
        ...(token ? { authorization: `Bearer ${token}` } : {}),
        ...(body !== undefined ? { 'content-type': type } : {}),
      },
    });
    req.on('error', reject);
    req.on('response', (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c) => (text += c));
      res.on('end', () =>
        resolve({
          status: res.statusCode,
          headers: res.headers,
          text,
          json: () => JSON.parse(text),
        }),
      );
    });
    if (body instanceof Readable) body.pipe(req);
    else req.end(body === undefined ? undefined : JSON.stringify(body));
  });
}

/** Like `call`, but throws unless the status is `expected`; returns the parsed body. */
export async function expectJson(keel, expected, method, path, options) {
  const res = await keel.call(method, path, options);
  if (res.status !== expected) {
    throw new Error(`${method} ${path}: expected ${expected}, got ${res.status} ${res.text}`);
  }
  return res.text ? res.json() : undefined;
}

/** Stops the keep-alive agent so the script can exit. */
export function closeConnections() {
  agent.destroy();
}
