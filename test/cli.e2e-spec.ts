import { spawn } from 'node:child_process';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  createTestDatabase,
  profile,
  profileRedisEnv,
  startApiProcess,
  tempDataDir,
  type ApiProcess,
} from '@keel/testing';

/**
 * The built `keel` command line (`npm run build` first) as a person runs it: a child process
 * with the API's environment, against a real database (a temporary DATA_DIR with its
 * embedded server, or a fresh database on DATABASE_URL's server), then alongside the running
 * API on the same data, which must see what the CLI did.
 */
// Every embedded command starts (or attaches to) a Postgres server; the suite runs ~20.
jest.setTimeout(300_000);

const ROOT = join(__dirname, '..');
const CLI_MAIN = join(ROOT, 'dist/apps/cli/src/main.js');
const MIGRATIONS = 14;

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

const ADMIN = { email: 'cli-admin@keel.test', password: 'cli-admin-password' };

describe(`keel CLI (${profile.name} profile)`, () => {
  let dataDir: string;
  let database: Awaited<ReturnType<typeof createTestDatabase>> | undefined;
  let env: Record<string, string>;
  let api: ApiProcess | undefined;

  function keel(args: string[]): Promise<Run> {
    return execute(process.execPath, [CLI_MAIN, ...args]);
  }

  function execute(command: string, args: string[]): Promise<Run> {
    const child = spawn(command, args, {
      cwd: dataDir,
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    return new Promise((resolve) =>
      child.once('close', (code) => resolve({ code, stdout, stderr })),
    );
  }

  async function exportNdjson(): Promise<Array<Record<string, string>>> {
    const run = await keel(['export', '--format', 'ndjson', '--sort', 'createdAt']);
    expect(run).toMatchObject({ code: 0, stderr: '' });
    return run.stdout
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line) as Record<string, string>);
  }

  function loginStatus(password = ADMIN.password): Promise<number> {
    return login(password).then((r) => r.status);
  }

  async function login(password = ADMIN.password) {
    const response = await fetch(`${api?.url}/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: ADMIN.email, password }),
    });
    return {
      status: response.status,
      body: (await response.json()) as { accessToken: string; refreshToken: string },
    };
  }

  beforeAll(async () => {
    dataDir = tempDataDir('keel-cli-');
    database = profile.databaseUrl ? await createTestDatabase(profile.databaseUrl) : undefined;
    env = {
      NODE_ENV: 'test',
      DATA_DIR: dataDir,
      ...(database ? { DATABASE_URL: database.url } : {}),
      ...profileRedisEnv(),
      ...(process.env.RABBITMQ_URL ? { RABBITMQ_URL: process.env.RABBITMQ_URL } : {}),
    };
  });

  afterAll(async () => {
    if (api) {
      api.child.kill('SIGTERM');
      await api.exited;
    }
    await database?.drop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  describe('on its own', () => {
    it('refuses a wrong command line with a message and exit code 2, before any database starts', async () => {
      const cases: Array<[string[], RegExp]> = [
        [['frobnicate'], /unknown command 'frobnicate'/],
        [['migrate'], /migrate needs a command: up, down or status/],
        [['users', 'create', '--email', 'a@keel.test'], /required option '--password <password>'/],
        [['export', '--format', 'xml'], /--format must be one of csv, ndjson \(got "xml"\)/],
        [['import', 'items.csv', '--format', 'json'], /--format must be one of csv, ndjson/],
        [['seed', '--items', 'lots'], /--items must be a whole number from 1 to 10000/],
        [['import', 'items.txt'], /cannot tell the format of items.txt.*--format csv/],
        [
          ['users', 'create', '--email', 'not-an-address', '--password', 'long-enough'],
          /email: email must be an email/,
        ],
      ];
      for (const [args, message] of cases) {
        const run = await keel(args);
        expect({ args, code: run.code, stdout: run.stdout }).toEqual({ args, code: 2, stdout: '' });
        expect(run.stderr).toMatch(message);
      }
      const help = await keel(['--help']);
      expect(help.code).toBe(0);
      for (const command of ['migrate', 'users', 'import', 'export', 'seed', 'openapi']) {
        expect(help.stdout).toMatch(new RegExp(`^ {2}${command}\\b`, 'm'));
      }
      // Nothing was started to find those out.
      expect(existsSync(join(dataDir, 'postgres'))).toBe(false);
    });

    it('openapi prints the document the typed client is generated from, starting no database', async () => {
      const run = await keel(['openapi']);
      expect({ code: run.code, stderr: run.stderr }).toEqual({ code: 0, stderr: '' });
      const committed = readFileSync(join(ROOT, 'packages/client/openapi.json'), 'utf8');
      expect(JSON.parse(run.stdout)).toEqual(JSON.parse(committed));
      expect(existsSync(join(dataDir, 'postgres'))).toBe(false);
    });

    it('migrate status, up, down, up: lists applied and pending, and moves one step', async () => {
      const fresh = await keel(['migrate', 'status']);
      expect(fresh.code).toBe(0);
      expect(fresh.stdout).toContain(`0 applied, ${MIGRATIONS} pending`);
      expect(fresh.stdout).toMatch(/^pending {2}CreateUsers1795390000000$/m);

      const up = await keel(['migrate', 'up']);
      expect(up.code).toBe(0);
      expect(up.stdout.match(/^applied {2}/gm)).toHaveLength(MIGRATIONS);
      const all = await keel(['migrate', 'status']);
      expect(all.stdout).toContain(`${MIGRATIONS} applied, 0 pending`);
      const newest = /^applied {2}(\S+)\n\d+ applied/m.exec(all.stdout)?.[1];
      expect(newest).toBeDefined();

      const down = await keel(['migrate', 'down']);
      expect(down).toMatchObject({ code: 0, stdout: `reverted ${newest}\n` });
      const after = await keel(['migrate', 'status']);
      expect(after.stdout).toContain(`${MIGRATIONS - 1} applied, 1 pending`);
      expect(after.stdout).toContain(`pending  ${newest}\n`);

      const again = await keel(['migrate', 'up']);
      expect(again).toMatchObject({ code: 0, stdout: `applied  ${newest}\n` });
      expect((await keel(['migrate', 'up'])).stdout).toBe('up to date: no pending migration\n');
    });

    it('users create --admin makes an admin; a second one with that address is refused', async () => {
      const run = await keel([
        'users',
        'create',
        '--email',
        ADMIN.email,
        '--password',
        ADMIN.password,
        '--admin',
      ]);
      expect(run).toMatchObject({ code: 0, stderr: '' });
      expect(run.stdout).toMatch(
        new RegExp(`^created admin ${ADMIN.email} \\([0-9a-f-]{36}\\)\\n$`),
      );

      const twice = await keel([
        'users',
        'create',
        '--email',
        ADMIN.email,
        '--password',
        'x'.repeat(9),
      ]);
      expect(twice.code).toBe(1);
      expect(twice.stderr).toContain('USER.EMAIL_TAKEN');
    });

    it('seed --items N creates N demo items with plausible names and prices, owned by the admin', async () => {
      const run = await keel(['seed', '--items', '30']);
      expect(run).toMatchObject({ code: 0, stdout: `created 30 items owned by ${ADMIN.email}\n` });
      const items = await exportNdjson();
      expect(items).toHaveLength(30);
      for (const item of items) {
        expect(item.name).toMatch(/^[A-Z][a-z]+( [A-Za-z]+)+$/);
        expect(item.price).toMatch(/^\d+\.(00|50|90|99)$/);
      }
      expect(new Set(items.map((i) => i.name)).size).toBe(30);
    });

    // Embedded, with no API on the DATA_DIR, only the CLI's own process can run the job.
    (profile.name === 'embedded' ? it : it.skip)(
      'import runs the job itself when no API runs on the DATA_DIR',
      async () => {
        const file = join(dataDir, 'own.ndjson');
        writeFileSync(
          file,
          '{"name":"Own lamp","price":"12.50"}\n{"name":"Own chair","price":"-1"}\n',
        );
        const run = await keel(['import', file]);
        expect(run.code).toBe(3);
        expect(run.stdout).toMatch(/succeeded: 2 rows, 1 stored, 1 refused/);
        expect(run.stdout).toMatch(/^ {2}line 2: price must be/m);
        expect((await exportNdjson()).filter((i) => i.name === 'Own lamp')).toHaveLength(1);
      },
    );
  });

  describe('beside the running API on the same data', () => {
    let ownerPid: string;

    beforeAll(async () => {
      api = await startApiProcess({ ...env, LOG_LEVEL: 'info' });
      ownerPid = profile.name === 'embedded' ? ownerFile() : '';
    });

    function ownerFile(): string {
      return readFileSync(join(dataDir, 'postgres-owner.pid'), 'utf8').trim();
    }

    afterEach(() => {
      // The API still owns its embedded server: the CLI used it, and started none.
      if (profile.name === 'embedded') expect(ownerFile()).toBe(ownerPid);
    });

    it('the admin made by the CLI logs in through the API', async () => {
      const { status, body } = await login();
      expect(status).toBe(200);
      const me = await fetch(`${api?.url}/v1/users/me`, {
        headers: { authorization: `Bearer ${body.accessToken}` },
      });
      expect(await me.json()).toMatchObject({ email: ADMIN.email, roles: ['user', 'admin'] });
    });

    it('import: the job runs to its end, the refused row is shown by its line, the rest is stored', async () => {
      const before = (await exportNdjson()).length;
      const file = join(dataDir, 'items.csv');
      writeFileSync(
        file,
        'name,price,description\nGood desk,120.00,first\nBad desk,twelve,second\nGood lamp,30.50,third\n',
      );
      const run = await keel(['import', file, '--owner', ADMIN.email]);
      expect(run.code).toBe(3);
      expect(run.stdout).toMatch(
        /^import [0-9a-f-]{36} succeeded: 3 rows, 2 stored, 1 refused, \d+ rows\/s$/m,
      );
      expect(run.stdout).toMatch(/^ {2}line 3: price must be a decimal string/m);
      // Not a terminal: plain progress lines on stderr.
      expect(run.stderr).toMatch(/^succeeded 100% 3 rows \(2 stored, 1 refused\)/m);
      const items = await exportNdjson();
      expect(items).toHaveLength(before + 2);
      expect(items.slice(-2).map((i) => [i.name, i.price, i.description])).toEqual(
        expect.arrayContaining([
          ['Good desk', '120.00', 'first'],
          ['Good lamp', '30.50', 'third'],
        ]),
      );
    });

    it('a file that cannot be imported fails the job and the command (exit 1)', async () => {
      const file = join(dataDir, 'wrong.csv');
      writeFileSync(file, 'colour,size\nred,big\n');
      const run = await keel(['import', file]);
      expect(run.code).toBe(1);
      expect(run.stdout).toMatch(/^import [0-9a-f-]{36} failed/m);
      expect(run.stderr).toMatch(/keel: import failed: .+/);
    });

    it('export --format csv imports back: the count doubles and the fields are equal', async () => {
      const exported = await keel(['export', '--format', 'csv', '--sort', 'createdAt']);
      expect(exported.code).toBe(0);
      const lines = exported.stdout.split('\r\n').filter(Boolean);
      expect(lines[0]).toBe('id,name,description,price,ownerId,version,createdAt,updatedAt');
      const before = await exportNdjson();
      expect(lines).toHaveLength(before.length + 1);

      const file = join(dataDir, 'export.csv');
      writeFileSync(file, exported.stdout);
      const run = await keel(['import', file]);
      expect(run.code).toBe(0);
      expect(run.stdout).toContain(`${before.length} stored, 0 refused`);

      const after = await exportNdjson();
      expect(after).toHaveLength(before.length * 2);
      const fields = (items: Array<Record<string, string>>) =>
        items.map((i) => `${i.name}|${i.price}|${i.description}`).sort();
      const copies = after.filter((i) => !before.some((b) => b.id === i.id));
      expect(fields(copies)).toEqual(fields(before));
    });

    it('users disable: the API refuses the user at once (login, access token, refresh)', async () => {
      const { body } = await login();
      const token = body.accessToken;
      const run = await keel(['users', 'disable', ADMIN.email]);
      expect(run.code).toBe(0);
      expect(run.stdout).toMatch(new RegExp(`^disabled ${ADMIN.email} \\(`));

      expect(await loginStatus()).toBe(403);
      const me = await fetch(`${api?.url}/v1/users/me`, {
        headers: { authorization: `Bearer ${token}` },
      });
      expect(me.status).toBe(401);
      const refresh = await fetch(`${api?.url}/v1/auth/refresh`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ refreshToken: body.refreshToken }),
      });
      expect(refresh.status).toBe(401);
      expect((await keel(['users', 'disable', 'nobody@keel.test'])).stderr).toContain(
        'no user nobody@keel.test',
      );
    });

    it('npx keel: npm links the bin, which runs the built CLI', async () => {
      const run = await execute(join(ROOT, 'node_modules/.bin/keel'), ['migrate', 'status']);
      expect(run.code).toBe(0);
      expect(run.stdout).toContain(`${MIGRATIONS} applied, 0 pending`);
    });
  });
});
