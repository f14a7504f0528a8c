// A/B runs: one scenario against variants of Keel, each in turn in the same run, so a change
// (another build, a Node flag, a setting) is measured against what it replaces on the same
// machine state. Seeds once; every variant serves the same data.
//
//   node bench/compare.mjs --scenario 1 --profile full \
//     --variant before=../keel-before --variant after=. \
//     --variant semi16=.,--max-semi-space-size=16 --variant nolog=.,LOG_LEVEL=warn
//
// A variant is `label=root[,token...]`: `root` is a checkout with a build in `dist/` (for an
// older commit: `git worktree add ../keel-before <commit> && cd ../keel-before && npm ci &&
// npm run build`); a token starting with `--` is a Node flag, `NAME=value` a setting. In a
// setting, `{otlp}` stands for the URL of an OTLP/HTTP sink the run starts on loopback (it
// answers every export and keeps nothing), for tracing variants:
//   --variant traced=.,OTEL_EXPORTER_OTLP_ENDPOINT={otlp}
//   --variant traced10=.,OTEL_EXPORTER_OTLP_ENDPOINT={otlp},OTEL_TRACES_SAMPLER=parentbased_traceidratio,OTEL_TRACES_SAMPLER_ARG=0.1
// Options: --scenario N[,N] (1), --profile full|embedded (full when DATABASE_URL and REDIS_URL
// are set), --duration S (3), --rounds R (3), --warmup S (1), --connections C (64),
// --rows N (50000), --generator wrk|autocannon. Prints medians and each variant's ratio to
// the first.
import { createServer } from 'node:http';
import { parseArgs } from 'node:util';
import { closeConnections, createData, startKeel } from './lib/keel.mjs';
import { defaultGenerator } from './lib/load.mjs';
import { SCENARIOS } from './lib/scenarios.mjs';
import { KEEL_ENV, contextFor, measure, seed } from './lib/setup.mjs';

const { values: args } = parseArgs({
  options: {
    scenario: { type: 'string', default: '1' },
    profile: { type: 'string' },
    variant: { type: 'string', multiple: true },
    duration: { type: 'string', default: '3' },
    rounds: { type: 'string', default: '3' },
    warmup: { type: 'string', default: '1' },
    connections: { type: 'string', default: '64' },
    rows: { type: 'string', default: '50000' },
    generator: { type: 'string', default: defaultGenerator() },
  },
});
const profile =
  args.profile ?? (process.env.DATABASE_URL && process.env.REDIS_URL ? 'full' : 'embedded');
const variants = (args.variant ?? ['current=.']).map(parseVariant);
const scenarios = args.scenario.split(',').map((id) => {
  const scenario = SCENARIOS.find((s) => s.id === Number(id) && !s.of);
  if (!scenario) throw new Error(`no scenario ${id} to compare`);
  return scenario;
});
const options = { connections: Number(args.connections), generator: args.generator };
const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

function parseVariant(text) {
  const [head, ...tokens] = text.split(',');
  const [label, root = '.'] = head.split('=');
  const nodeArgs = tokens.filter((t) => t.startsWith('--'));
  const env = Object.fromEntries(
    tokens
      .filter((t) => !t.startsWith('--'))
      .map((t) => [t.slice(0, t.indexOf('=')), t.slice(t.indexOf('=') + 1)]),
  );
  return { label, root, nodeArgs, env };
}

const sink = variants.some((v) => Object.values(v.env).some((value) => value.includes('{otlp}')))
  ? await otlpSink()
  : undefined;
for (const variant of variants) {
  for (const [name, value] of Object.entries(variant.env)) {
    variant.env[name] = value.replaceAll('{otlp}', sink?.url ?? '');
  }
}

const data = await createData(profile);
const running = [];
try {
  const seeded = await seed(data, Number(args.rows));
  for (const variant of variants) {
    // Embedded data is one process's: the variants take turns on it.
    const keel = profile === 'embedded' ? undefined : await start(variant);
    running.push({ variant, keel, ctx: contextFor(seeded) });
  }
  for (const scenario of scenarios) {
    const results = new Map(variants.map((v) => [v.label, []]));
    for (let round = 0; round <= Number(args.rounds); round++) {
      for (const server of running) {
        const keel = server.keel ?? (await start(server.variant));
        try {
          const seconds = round === 0 ? Number(args.warmup) : Number(args.duration);
          const run = await measure(keel, scenario, server.ctx, { ...options, seconds });
          if (round > 0) results.get(server.variant.label).push(run);
        } finally {
          if (!server.keel) await keel.stop();
        }
      }
    }
    const [first] = variants;
    const base = median(results.get(first.label).map((r) => r.rps));
    console.log(`\n${scenario.id}. ${scenario.name} (${profile}, ${args.generator})`);
    console.log(
      '| variant | req/s | CPU µs per request | p50 ms | p99 ms | peak RSS MB | errors + non-2xx | cache hits | ÷ first |',
    );
    console.log('|---|--:|--:|--:|--:|--:|--:|--:|--:|');
    for (const { label } of variants) {
      const runs = results.get(label);
      const rps = median(runs.map((r) => r.rps));
      const hits = runs.reduce((n, r) => n + r.hits, 0);
      const answered = hits + runs.reduce((n, r) => n + r.misses, 0);
      console.log(
        `| ${label} | ${Math.round(rps)} | ${Math.round(median(runs.map((r) => r.cpuUs)))} | ${median(runs.map((r) => r.p50))} | ${median(runs.map((r) => r.p99))} | ` +
          `${Math.max(...runs.map((r) => r.rssMb))} | ${runs.reduce((n, r) => n + r.errors + r.non2xx, 0)} | ` +
          `${answered ? `${Math.round((hits / answered) * 1000) / 10}%` : '–'} | ${(rps / base).toFixed(2)}× |`,
      );
    }
  }
} finally {
  for (const { keel } of running) await keel?.stop();
  await data.drop();
  closeConnections();
  sink?.server.close();
}

/** An OTLP/HTTP endpoint that accepts every export (as a collector would) and keeps nothing. */
async function otlpSink() {
  const server = createServer((request, response) => {
    request.resume();
    request.on('end', () =>
      // An empty ExportTraceServiceResponse, in the exporter's default encoding (protobuf).
      response.writeHead(200, { 'content-type': 'application/x-protobuf' }).end(),
    );
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, url: `http://127.0.0.1:${server.address().port}` };
}

function start(variant) {
  return startKeel({
    data,
    root: variant.root,
    nodeArgs: variant.nodeArgs,
    // Own cache keys per variant, or one variant's misses would be the next one's hits.
    env: { ...KEEL_ENV, REDIS_KEY_PREFIX: `${data.keyPrefix}${variant.label}:`, ...variant.env },
  });
}
