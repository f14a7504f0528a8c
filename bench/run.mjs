// The load suite: Keel (embedded and full profile) against bare node:http and Fastify servers
// answering the same bodies, and (full profile) against the usual Nest app, on Fastify and on
// Express, and a raw `pg` server on the same database, in one run. See bench/README.md.
//
//   npm run bench                                     every scenario, both profiles
//   npm run bench -- --scenario 1 --duration 5        one scenario (repeat or comma-separate)
//
// Options: --scenario N, --duration S (2), --rounds R (3), --warmup S (1), --connections C (64),
// --rows N (100000), --profiles embedded,full, --out DIR (bench/results), --no-readme,
// --generator wrk|autocannon (wrk when installed).
// The full profile runs when DATABASE_URL and REDIS_URL are set (RABBITMQ_URL is used if set);
// it creates its own database and Redis key prefix and drops them afterwards.
import { fork } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import ts from 'typescript';
import {
  closeConnections,
  createData,
  expectJson,
  freePort,
  processTreeCpuSeconds,
  processTreeRss,
  startKeel,
} from './lib/keel.mjs';
import { defaultGenerator } from './lib/load.mjs';
import {
  NEST_EXPRESS,
  NEST_FASTIFY,
  checkTargets,
  markdown,
  summarize,
  svgChart,
} from './lib/report.mjs';
import { SCENARIOS } from './lib/scenarios.mjs';
import { KEEL_ENV, contextFor, measure, seed } from './lib/setup.mjs';

const { values: args } = parseArgs({
  options: {
    scenario: { type: 'string', multiple: true },
    duration: { type: 'string', default: '2' },
    rounds: { type: 'string', default: '3' },
    warmup: { type: 'string', default: '1' },
    connections: { type: 'string', default: '64' },
    rows: { type: 'string', default: '100000' },
    profiles: { type: 'string' },
    out: { type: 'string', default: 'bench/results' },
    'no-readme': { type: 'boolean', default: false },
    generator: { type: 'string', default: defaultGenerator() },
  },
});
const { generator } = args;
if (!['wrk', 'autocannon'].includes(generator)) throw new Error(`no generator ${generator}`);
const duration = Number(args.duration);
const rounds = Number(args.rounds);
const warmup = Number(args.warmup);
const connections = Number(args.connections);
const rows = Number(args.rows);
const wanted = (args.scenario ?? []).flatMap((s) => s.split(',')).map(Number);
const selected = SCENARIOS.filter((s) => wanted.length === 0 || wanted.includes(s.id));
const fullAvailable = Boolean(process.env.DATABASE_URL && process.env.REDIS_URL);
const profiles = (args.profiles ?? (fullAvailable ? 'full,embedded' : 'embedded')).split(',');
if (profiles.includes('full') && !fullAvailable) {
  throw new Error('the full profile needs DATABASE_URL and REDIS_URL');
}
if (selected.length === 0) throw new Error(`no scenario ${wanted.join(', ')}`);

/** The scenarios the database references serve: the item read, the create, the mix. */
const DB_SCENARIOS = [1, 2, 4, 6];
/** The usual Nest app's rows (bench/lib/report.mjs names them too) and the platform of each. */
const NEST_PLATFORMS = [
  [NEST_FASTIFY, 'fastify'],
  [NEST_EXPRESS, 'express'],
];
const started = Date.now();
const log = (text) =>
  process.stderr.write(`[${((Date.now() - started) / 1000).toFixed(0)}s] ${text}\n`);

/**
 * A reference server in its own process: `script` with the port and `args`, on `env`. Listed
 * in `references` at once, so it is stopped at the end whatever fails after it.
 */
async function startReference(label, script, args = [], env = {}) {
  const port = await freePort();
  const child = fork(script, [String(port), ...args], {
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
    env: { ...process.env, ...env },
  });
  await new Promise((resolve, reject) => {
    child.once('message', resolve);
    child.once('exit', (code) => reject(new Error(`${label} exited ${code}`)));
  });
  const exited = new Promise((resolve) => child.once('exit', resolve));
  const reference = {
    label,
    base: `http://127.0.0.1:${port}`,
    rssMb: () => processTreeRss(child.pid),
    cpuSeconds: () => processTreeCpuSeconds(child.pid),
    async stop() {
      child.kill('SIGTERM');
      await exited;
    },
  };
  references.push(reference);
  return reference;
}

/**
 * The usual Nest app (bench/reference/nest-usual/main.ts), compiled to CommonJS in `dir` with
 * decorator metadata as Nest's build emits it; it finds its packages through NODE_PATH.
 */
function compileNestReference(dir) {
  const source = readFileSync(join('bench', 'reference', 'nest-usual', 'main.ts'), 'utf8');
  const { outputText } = ts.transpileModule(source, {
    compilerOptions: {
      module: ts.ModuleKind.CommonJS,
      target: ts.ScriptTarget.ES2023,
      experimentalDecorators: true,
      emitDecoratorMetadata: true,
      useDefineForClassFields: false,
      esModuleInterop: true,
    },
  });
  const file = join(dir, 'nest-usual.cjs');
  writeFileSync(file, outputText);
  return file;
}

/**
 * Measures each server in turn, `rounds` times (A B C A B C ...), after one warm-up run each,
 * so slow drift of the machine touches every server alike.
 */
async function compare(scenario, name, servers) {
  const runs = [];
  for (const server of servers) {
    log(`${scenario.id} ${name}: warm-up ${server.label}`);
    await measure(server.target, scenario, server.ctx, { seconds: warmup, connections, generator });
  }
  for (let round = 1; round <= rounds; round++) {
    for (const server of servers) {
      const run = await measure(server.target, scenario, server.ctx, {
        seconds: duration,
        connections,
        generator,
      });
      log(
        `${scenario.id} ${name}: ${server.label} round ${round}: ${Math.round(run.rps)} req/s, p99 ${run.p99} ms`,
      );
      runs.push({
        scenario: server.scenarioLabel ?? String(scenario.id),
        name,
        server: server.label,
        baseline: server.baseline,
        ...run,
      });
    }
  }
  return runs;
}

const datas = {};
const keels = {};
const references = [];
const tmp = mkdtempSync(join(tmpdir(), 'keel-bench-bodies-'));
let failed = false;
try {
  const seeds = {};
  for (const profile of profiles) {
    log(`starting Keel (${profile}) and seeding ${rows} items`);
    datas[profile] = await createData(profile);
    seeds[profile] = await seed(datas[profile], rows);
    keels[profile] = await startKeel({ data: datas[profile], env: KEEL_ENV });
  }

  // The references answer exactly what Keel answered for the same requests.
  const [firstProfile] = profiles;
  const first = keels[firstProfile];
  const firstSeed = seeds[firstProfile];
  const [user] = firstSeed.users;
  const probeCtx = contextFor(firstSeed);
  const bodies = {
    item: await expectJson(first, 200, 'GET', `/v1/items/${probeCtx.hotIds[0]}`),
    page: await expectJson(first, 200, 'GET', `/v1/items?limit=20&sort=-createdAt`),
    created: await expectJson(first, 201, 'POST', '/v1/items', {
      token: user.token,
      body: {
        name: 'Reference body',
        price: '1.00',
        description: 'The reference servers answer this',
      },
    }),
    login: await expectJson(first, 200, 'POST', '/v1/auth/login', {
      body: { email: user.email, password: user.password },
    }),
  };
  const bodiesFile = join(tmp, 'bodies.json');
  writeFileSync(bodiesFile, JSON.stringify(bodies));
  const reference = (script) => join('bench', 'reference', script);
  const nodeRef = await startReference('node:http', reference('node-http.mjs'), [bodiesFile]);
  const fastifyRef = await startReference('Fastify', reference('fastify.mjs'), [bodiesFile]);
  // On Keel's full-profile database and data, with Keel's JWT secret: they need Postgres and
  // Redis, so the embedded profile alone runs without them (DB_SCENARIOS only).
  const dbRefs = [];
  if (datas.full) {
    const env = {
      DATABASE_URL: datas.full.database.url,
      JWT_SECRET: KEEL_ENV.JWT_SECRET,
      NODE_PATH: resolve('node_modules'),
      NODE_ENV: 'production',
    };
    const nest = compileNestReference(tmp);
    // The same app on each platform, each with its own cache: a miss for one is a miss for both.
    for (const [label, platform] of NEST_PLATFORMS) {
      const cache = { CACHE_NAMESPACE: `${datas.full.keyPrefix}nest-usual-${platform}` };
      dbRefs.push(await startReference(label, nest, [platform], { ...env, ...cache }));
    }
    dbRefs.push(await startReference('raw pg', reference('raw-pg.mjs'), [], env));
  } else {
    log('the usual Nest app and raw pg need the full profile (Postgres, Redis): skipped');
  }

  const runs = [];
  for (const scenario of selected.filter((s) => !s.of)) {
    const keelServers = profiles.map((profile) => ({
      label: `Keel ${profile}`,
      target: keels[profile],
      ctx: contextFor(seeds[profile]),
      baseline: 'node:http',
    }));
    const served = [nodeRef, fastifyRef, ...(DB_SCENARIOS.includes(scenario.id) ? dbRefs : [])];
    const refServers = served.map((ref) => ({
      label: ref.label,
      target: ref,
      // The database references read the full profile's data; each server walks its own ids.
      ctx: contextFor(dbRefs.includes(ref) ? seeds.full : firstSeed),
      baseline: 'node:http',
    }));
    // Keel and the references alternate, so drift of the machine touches each alike.
    const servers = refServers
      .flatMap((ref, i) => [keelServers[i], ref])
      .concat(keelServers.slice(refServers.length))
      .filter(Boolean);
    runs.push(...(await compare(scenario, scenario.name, servers)));
  }

  const cluster = selected.find((s) => s.of);
  if (cluster && keels.full) {
    log('starting Keel (full) with WEB_CONCURRENCY=2 on the same data');
    const two = await startKeel({ data: datas.full, env: { ...KEEL_ENV, WEB_CONCURRENCY: '2' } });
    keels.cluster = two;
    for (const id of cluster.of) {
      const scenario = SCENARIOS.find((s) => s.id === id);
      const servers = [
        { label: 'Keel full ×1', target: keels.full, baseline: 'Keel full ×1' },
        { label: 'Keel full ×2', target: two, baseline: 'Keel full ×1' },
      ].map((s) => ({ ...s, ctx: contextFor(seeds.full), scenarioLabel: `7 (${id})` }));
      runs.push(...(await compare(scenario, `${scenario.name}, two workers`, servers)));
    }
  } else if (cluster) {
    log('scenario 7 needs the full profile (one embedded database cannot be shared): skipped');
  }

  const summary = summarize(runs);
  const checks = checkTargets(summary);
  const cpu = cpus()[0]?.model ?? 'unknown CPU';
  const loginRows = summary.filter((r) => r.scenario === '5' && r.server.startsWith('Keel'));
  const meta = {
    generator,
    conditions:
      `${new Date().toISOString().slice(0, 10)}, Node ${process.version}, ${availableParallelism()} × ${cpu}; ` +
      `${generator === 'wrk' ? 'wrk -t1' : 'autocannon (own process)'}, ${connections} connections, ${rounds} × ${duration} s per server after a ${warmup} s warm-up, medians; ` +
      `${rows.toLocaleString('en-US')} seeded items.`,
  };
  const table = markdown(summary, checks, meta);
  const perCore = loginRows
    .map((r) => `${r.server}: ${(r.rps / availableParallelism()).toFixed(1)} logins/s per core`)
    .join('; ');
  const text = `${table}${perCore ? `\n\nLogins (scenario 5): ${perCore}.` : ''}\n`;

  mkdirSync(args.out, { recursive: true });
  const all = selected.length === SCENARIOS.length;
  const stem = all ? 'latest' : `scenario-${selected.map((s) => s.id).join('-')}`;
  writeFileSync(join(args.out, `${stem}.md`), text);
  writeFileSync(join(args.out, `${stem}.svg`), svgChart(summary, meta));
  writeFileSync(
    join(args.out, `${stem}.json`),
    JSON.stringify({ meta, summary, checks, runs }, null, 2),
  );
  if (all && profiles.length === 2 && !args['no-readme']) updateReadme(text);
  process.stdout.write(`\n${text}\n`);
  log(`done; results in ${args.out}/${stem}.{md,svg,json}`);
  // A scenario that answered errors measured something else than it says: the run failed.
  failed = summary.some((r) => r.errors + r.non2xx > 0);
} finally {
  for (const server of [...Object.values(keels), ...references]) await server.stop();
  for (const data of Object.values(datas)) await data.drop();
  rmSync(tmp, { recursive: true, force: true });
  closeConnections();
}
process.exitCode = failed ? 1 : 0;

/** Replaces the table between the bench markers in README.md. */
function updateReadme(text) {
  const readme = readFileSync('README.md', 'utf8');
  const start = '<!-- bench:start -->';
  const end = '<!-- bench:end -->';
  const from = readme.indexOf(start);
  const to = readme.indexOf(end);
  if (from < 0 || to < from) return log('README.md has no bench markers; not updated');
  writeFileSync('README.md', `${readme.slice(0, from + start.length)}\n${text}${readme.slice(to)}`);
  log('README.md updated');
}
