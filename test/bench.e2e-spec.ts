import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * The load suite itself, shortened: every scenario runs once for a second against the built
 * API (and, in the full profile, against Postgres and Redis, the usual Nest app on Fastify and
 * on Express, the raw `pg` server and two cluster workers), so a scenario that breaks (a wrong
 * cursor, a refused token, a reference that stops answering) fails here rather than in the next
 * benchmark run. The load generator is wrk where installed, else autocannon in a child process;
 * both are run.
 */
interface SummaryRow {
  scenario: string;
  server: string;
  rps: number;
  errors: number;
  non2xx: number;
  ratio?: number;
  vs?: Record<string, number>;
  hitRatio?: number;
  rssMb: number;
}

const ROOT = join(__dirname, '..');
const full = Boolean(process.env.DATABASE_URL && process.env.REDIS_URL);
const SHORT = ['--rows', '300', '--duration', '1', '--rounds', '1', '--warmup', '0.5'];

function runNode(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, args, {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

function runBench(args: string[]): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['bench/run.mjs', ...args], {
      cwd: ROOT,
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('exit', (code) => resolve({ code, stderr }));
  });
}

describe('bench/run.mjs', () => {
  const out = mkdtempSync(join(tmpdir(), 'keel-bench-test-'));
  afterAll(() => rmSync(out, { recursive: true, force: true }));

  it('loads Keel and the reference servers in every scenario without an error', async () => {
    const { code, stderr } = await runBench([
      ...SHORT,
      ...['--connections', '16', '--out', out, '--no-readme'],
    ]);
    expect({ code, stderr: code === 0 ? '' : stderr }).toEqual({ code: 0, stderr: '' });

    const { meta, summary, checks } = JSON.parse(
      readFileSync(join(out, 'latest.json'), 'utf8'),
    ) as {
      meta: { generator: string };
      summary: SummaryRow[];
      checks: { what: string }[];
    };
    const wrk = spawnSync('wrk', ['--version']).error === undefined;
    expect(meta.generator).toBe(wrk ? 'wrk' : 'autocannon');
    const keels = full ? ['Keel full', 'Keel embedded'] : ['Keel embedded'];
    // The usual Nest app (on Fastify and on Express) and raw pg need Postgres: full profile
    // only, item read, create, mix.
    const nests = full ? ['usual Nest (Fastify)', 'usual Nest (Express)'] : [];
    const dbRefs = [...nests, ...(full ? ['raw pg'] : [])];
    for (const scenario of ['1', '2', '3', '4', '5', '6']) {
      const servers = summary.filter((r) => r.scenario === scenario).map((r) => r.server);
      const refs = ['3', '5'].includes(scenario) ? [] : dbRefs;
      expect(servers.sort()).toEqual([...keels, 'node:http', 'Fastify', ...refs].sort());
    }
    for (const row of summary.filter((r) => ['1', '2', '4', '6'].includes(r.scenario))) {
      if (row.server.startsWith('Keel')) {
        expect(Object.keys(row.vs ?? {}).sort()).toEqual(
          ['node:http', 'Fastify', ...dbRefs].sort(),
        );
      }
    }
    // The generator counts X-Cache: every hot read of scenario 1 is a hit once warm.
    for (const server of [...keels, ...nests]) {
      const row = summary.find((r) => r.scenario === '1' && r.server === server);
      expect({ server, hits: (row?.hitRatio ?? 0) > 0.9 }).toEqual({ server, hits: true });
    }
    const clusterRows = summary.filter((r) => r.scenario.startsWith('7'));
    expect(clusterRows.map((r) => r.server)).toEqual(
      full ? ['Keel full ×1', 'Keel full ×2', 'Keel full ×1', 'Keel full ×2'] : [],
    );
    for (const row of summary) {
      expect({
        row: `${row.scenario} ${row.server}`,
        errors: row.errors,
        non2xx: row.non2xx,
      }).toEqual({ row: `${row.scenario} ${row.server}`, errors: 0, non2xx: 0 });
      expect(row.rps).toBeGreaterThan(0);
      expect(row.rssMb).toBeGreaterThan(0);
    }
    expect(summary.find((r) => r.scenario === '1' && r.server === 'node:http')?.ratio).toBe(1);

    // The targets hold Keel to the usual Nest app on Fastify, the faster platform.
    const nestTargets = checks.filter((c) => c.what.includes('usual Nest')).map((c) => c.what);
    expect(nestTargets).toEqual(
      full
        ? ['1', '2', '4'].flatMap((scenario) =>
            keels.map(
              (keel) =>
                `${scenario} ${keel}: ≥ ${scenario === '1' ? 1.5 : 2}× usual Nest (Fastify)`,
            ),
          )
        : [],
    );

    const table = readFileSync(join(out, 'latest.md'), 'utf8');
    expect(table).toContain('| 1 | GET item, cache hit | Keel embedded |');
    expect(table).toContain('| Keel ÷ Fastify | Keel ÷ Nest Fastify | Keel ÷ Nest Express |');
    expect(table).toContain('| Target | Measured | |');
    expect(readFileSync(join(out, 'latest.svg'), 'utf8')).toMatch(/^<svg [^>]*>/);
  }, 300_000);

  it('runs autocannon in a process of its own when asked (as where wrk is missing)', async () => {
    const dir = join(out, 'autocannon');
    const { code, stderr } = await runBench([
      ...[...SHORT, '--profiles', 'embedded', '--scenario', '1,4', '--generator', 'autocannon'],
      ...['--connections', '16', '--out', dir, '--no-readme'],
    ]);
    expect({ code, stderr: code === 0 ? '' : stderr }).toEqual({ code: 0, stderr: '' });
    const { meta, summary } = JSON.parse(readFileSync(join(dir, 'scenario-1-4.json'), 'utf8')) as {
      meta: { generator: string };
      summary: SummaryRow[];
    };
    expect(meta.generator).toBe('autocannon');
    expect(summary.map((r) => `${r.scenario} ${r.server}`)).toEqual([
      ...['1 Keel embedded', '1 node:http', '1 Fastify'],
      ...['4 Keel embedded', '4 node:http', '4 Fastify'],
    ]);
    for (const row of summary) expect(row.errors + row.non2xx).toBe(0);
    expect(summary[0].hitRatio).toBeGreaterThan(0.9);
  }, 300_000);

  it('never sends an id of the cache-miss scenario twice, within a run or across runs', async () => {
    // The walk of scenario 2 over 1,000 seeded ids: 300 taken by a first run, then the rest.
    const script = `
      import { SCENARIOS } from './bench/lib/scenarios.mjs';
      import { contextFor } from './bench/lib/setup.mjs';
      const items = Array.from({ length: 1000 }, (_, i) => ({ id: 'id-' + i, createdAt: 't' }));
      const ctx = contextFor({ users: [], items });
      const miss = SCENARIOS.find((s) => s.id === 2);
      const first = miss.requests(ctx).slice(0, 300).map((r) => r.path);
      miss.walk(ctx).advance(300);
      const second = miss.requests(ctx).map((r) => r.path);
      console.log(JSON.stringify({ first, second, wrapped: miss.walk(ctx).wrapped() }));`;
    const { code, stdout, stderr } = await runNode(['--input-type=module', '-e', script]);
    expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
    const { first, second, wrapped } = JSON.parse(stdout) as {
      first: string[];
      second: string[];
      wrapped: boolean;
    };
    const all = [...first, ...second];
    expect({ sent: all.length, distinct: new Set(all).size, wrapped }).toEqual({
      sent: 900, // the 100 hot ids are not among them
      distinct: 900,
      wrapped: false,
    });
  });
});
