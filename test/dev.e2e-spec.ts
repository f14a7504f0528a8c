import { spawn } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout } from 'node:timers/promises';
import {
  createTestDatabase,
  eventually,
  freePort,
  profile,
  profileRedisEnv,
  tempDataDir,
} from '@keel/testing';

/**
 * `npm run dev` (scripts/dev.mjs) as a developer runs it in a terminal: the watcher compiles
 * and starts the API, its log lines are readable text rather than JSON, and Ctrl-C (SIGINT to
 * the terminal's whole process group) stops the watcher, the API and the embedded database.
 */
jest.setTimeout(240_000);

const ROOT = join(__dirname, '..');

describe('npm run dev', () => {
  let dataDir: string;
  let database: Awaited<ReturnType<typeof createTestDatabase>> | undefined;
  /** The dev script's pid, which is its process group's id. */
  let group: number;

  beforeAll(async () => {
    dataDir = tempDataDir('keel-dev-');
    database = profile.databaseUrl ? await createTestDatabase(profile.databaseUrl) : undefined;
  });
  afterAll(async () => {
    await database?.drop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it.each([
    ['Ctrl-C (SIGINT to the process group)', () => process.kill(-group, 'SIGINT')],
    // As an IDE or a process manager stops it: the watcher and the API must follow.
    ['SIGTERM to the script alone', () => process.kill(group, 'SIGTERM')],
  ])(
    'starts the API with readable logs, and %s stops every process it started',
    async (_, stop) => {
      const port = await freePort();
      const child = spawn(process.execPath, ['scripts/dev.mjs'], {
        cwd: ROOT,
        // Its own process group, as a terminal gives a command: Ctrl-C signals the whole group.
        detached: true,
        env: {
          PATH: process.env.PATH ?? '',
          HOME: process.env.HOME ?? '',
          HOST: '127.0.0.1',
          PORT: String(port),
          METRICS_PORT: '0',
          DATA_DIR: dataDir,
          ...(database ? { DATABASE_URL: database.url } : {}),
          ...profileRedisEnv(),
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let output = '';
      child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
      child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
      const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
      group = child.pid!;
      try {
        const url = `http://127.0.0.1:${port}`;
        const ready = () =>
          fetch(`${url}/health/ready`).then(
            (res) => res.status === 200,
            () => false,
          );
        await eventually(ready, 180_000);
        const listening = output.split('\n').find((line) => line.includes('Keel API listening on'));
        // pino-pretty's line: time, level, context and message, not the app's JSON.
        expect(listening).toMatch(
          /^\[\d\d:\d\d:\d\d\.\d{3}\] INFO.*\[Bootstrap\] Keel API listening on/,
        );
        expect(output).toMatch(/Swagger UI at http:\/\/127\.0\.0\.1:\d+\/docs/);
        expect(output.split('\n').filter((line) => line.startsWith('{"level"'))).toEqual([]);

        stop();
        const stillRunning = setTimeout(30_000, 'still running', { ref: false });
        expect(await Promise.race([exited, stillRunning])).toBe(0);
      } finally {
        try {
          process.kill(-group, 'SIGKILL');
        } catch {
          // Already gone, as it should be.
        }
      }
      // Nothing of the group is left: no watcher, no API, no embedded Postgres.
      expect(() => process.kill(-group, 0)).toThrow(expect.objectContaining({ code: 'ESRCH' }));
      expect(existsSync(join(dataDir, 'postgres', 'postmaster.pid'))).toBe(false);
    },
  );
});
