import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * The load suite itself, shortened: every scenario runs once for a second against the built
 * API (and, in the full profile, against Postgres and Redis and with two cluster workers), so
 * a scenario that breaks (a wrong cursor, a refused token, a reference that stops answering)
 * fails here rather than in the next benchmark run.
 */
interface SummaryRow {
  scenario: string;
  server: string;
  rps: number;
  errors: number;
  non2xx: number;
  ratio?: number;
  rssMb: number;
}

const ROOT = join(__dirname, '..');
const full = Boolean(process.env.DATABASE_URL && process.env.REDIS_URL);

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
      ...['--rows', '300', '--duration', '1', '--rounds', '1', '--warmup', '0.5'],
      ...['--connections', '16', '--out', out, '--no-readme'],
    ]);
    expect({ code, stderr: code === 0 ? '' : stderr }).toEqual({ code: 0, stderr: '' });

    const { summary } = JSON.parse(readFileSync(join(out, 'latest.json'), 'utf8')) as {
      summary: SummaryRow[];
    };
    const keels = full ? ['Keel full', 'Keel embedded'] : ['Keel embedded'];
    for (const scenario of ['1', '2', '3', '4', '5', '6']) {
      const servers = summary.filter((r) => r.scenario === scenario).map((r) => r.server);
      expect(servers.sort()).toEqual([...keels, 'node:http', 'Fastify'].sort());
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

    const table = readFileSync(join(out, 'latest.md'), 'utf8');
    expect(table).toContain('| 1 | GET item, cache hit | Keel embedded |');
    expect(table).toContain('| Target | Measured | |');
    expect(readFileSync(join(out, 'latest.svg'), 'utf8')).toMatch(/^<svg [^>]*>/);
  }, 300_000);
});
