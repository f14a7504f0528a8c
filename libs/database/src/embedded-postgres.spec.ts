import { execFileSync, spawn, spawnSync } from 'node:child_process';
import {
  chmodSync,
  cpSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  realpathSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { Client } from 'pg';
import {
  EmbeddedPostgres,
  embeddedPostgresBinaries,
  postgresUser,
  reachableBinaries,
} from './embedded-postgres';

/** A data folder the server's user can enter when the tests run as root. */
function dataFolder(): string {
  const dir = mkdtempSync(join(tmpdir(), 'keel-embedded-pg-'));
  chmodSync(dir, 0o755);
  return dir;
}

async function select1(url: string): Promise<number> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<{ one: number }>('SELECT 1 AS one')).rows[0].one;
  } finally {
    await client.end();
  }
}

function postmasterPid(dir: string): number {
  return Number(readFileSync(join(dir, 'postgres', 'postmaster.pid'), 'utf8').split('\n')[0]);
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** A PID that no process has any more. */
function deadPid(): number {
  return spawnSync('true').pid;
}

describe('EmbeddedPostgres', () => {
  let dir: string;
  const servers: EmbeddedPostgres[] = [];
  const server = () => {
    const s = new EmbeddedPostgres(dir);
    servers.push(s);
    return s;
  };

  beforeEach(() => {
    dir = dataFolder();
  });

  afterEach(async () => {
    for (const s of servers.splice(0)) await s.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('initialises the folder once, serves on loopback, and stops with stop()', async () => {
    const first = server();
    const url = await first.start();
    expect(new URL(url).hostname).toBe('127.0.0.1');
    expect(await select1(url)).toBe(1);
    const pid = postmasterPid(dir);
    await first.stop();
    expect(alive(pid)).toBe(false);

    const again = server();
    expect(await select1(await again.start())).toBe(1);
  }, 60_000);

  (process.platform === 'linux' ? it : it.skip)(
    "gives the server none of Keel's environment (its secrets stay in Keel)",
    async () => {
      process.env.KEEL_TEST_SECRET = 'not-for-postgres';
      try {
        await server().start();
        const environ = readFileSync(`/proc/${postmasterPid(dir)}/environ`, 'utf8').split('\0');
        expect(environ).not.toContain('KEEL_TEST_SECRET=not-for-postgres');
        expect(environ).toContain('LC_ALL=C');
      } finally {
        delete process.env.KEEL_TEST_SECRET;
      }
    },
    60_000,
  );

  it('stops the server when its owner goes away without stopping it (kill -9)', async () => {
    const owner = server();
    await owner.start();
    const pid = postmasterPid(dir);
    // What the kernel does to a process killed with SIGKILL: its end of the guard's pipe closes.
    (owner as unknown as { child: { stdin: { destroy(): void } } }).child.stdin.destroy();
    const deadline = Date.now() + 10_000;
    while (alive(pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect(alive(pid)).toBe(false);
  }, 60_000);

  it('takes over a server orphaned by a killed owner, and starts', async () => {
    const first = server();
    await first.start();
    await first.stop();
    // An orphan: the server running with no Keel (and no guard) in front of it, and the
    // owner file naming a process that is gone.
    const asRoot = process.getuid?.() === 0;
    const id = (flag: string) =>
      Number(execFileSync('id', [flag, 'postgres'], { encoding: 'utf8' }));
    const orphan = spawn(
      embeddedPostgresBinaries().postgres,
      [
        ...['-D', join(dir, 'postgres'), '-p', String(45_000 + Math.floor(Math.random() * 10_000))],
        ...['-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories='],
      ],
      { ...(asRoot ? { uid: id('-u'), gid: id('-g') } : {}), detached: true, stdio: 'ignore' },
    );
    const ready = () => {
      try {
        return readFileSync(join(dir, 'postgres', 'postmaster.pid'), 'utf8').includes('ready');
      } catch {
        return false;
      }
    };
    const deadline = Date.now() + 20_000;
    while (!ready() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    writeFileSync(join(dir, 'postgres-owner.pid'), `${deadPid()}\n`);

    const next = server();
    expect(await select1(await next.start())).toBe(1);
    expect(alive(orphan.pid as number)).toBe(false);
    expect(postmasterPid(dir)).not.toBe(orphan.pid);
  }, 60_000);

  it('starts over a postmaster.pid that names a dead or an unrelated process', async () => {
    const first = server();
    await first.start();
    await first.stop();
    const pidFile = join(dir, 'postgres', 'postmaster.pid');
    const unrelated = spawn('sleep', ['30']);
    try {
      for (const pid of [deadPid(), unrelated.pid as number]) {
        writeFileSync(pidFile, `${pid}\n${join(dir, 'postgres')}\n`);
        const s = server();
        expect(await select1(await s.start())).toBe(1);
        await s.stop();
      }
      expect(alive(unrelated.pid as number)).toBe(true);
    } finally {
      unrelated.kill();
    }
  }, 60_000);

  it('refuses a folder another live Keel process owns, and says what to do', async () => {
    const owner = spawn('sleep', ['30']);
    try {
      mkdirSync(dir, { recursive: true });
      writeFileSync(join(dir, 'postgres-owner.pid'), `${owner.pid}\n`);
      await expect(server().start()).rejects.toThrow(
        `DATA_DIR ${dir} is in use by another Keel process (PID ${owner.pid})`,
      );
    } finally {
      owner.kill();
    }
  });

  it('refuses a second instance on the folder in this process, leaving the first one serving', async () => {
    const url = await server().start();
    await expect(server().start()).rejects.toThrow(
      'in use by another Keel application in this process',
    );
    expect(await select1(url)).toBe(1);
  }, 60_000);

  (process.getuid?.() === 0 ? it : it.skip)(
    'as root, with a DATA_DIR the postgres user cannot enter, keeps the database where it can and links it',
    async () => {
      const closed = mkdtempSync(join(tmpdir(), 'keel-closed-'));
      const dataDir = join(closed, 'data');
      const s = new EmbeddedPostgres(dataDir);
      try {
        expect(await select1(await s.start())).toBe(1);
        const target = realpathSync(join(dataDir, 'postgres'));
        expect(target.startsWith(closed)).toBe(false);
        expect(readFileSync(join(target, 'PG_VERSION'), 'utf8').trim()).toMatch(/^\d+$/);
        await s.stop();
        // Started again on the same DATA_DIR: the same database.
        const again = new EmbeddedPostgres(dataDir);
        await again.start();
        expect(realpathSync(join(dataDir, 'postgres'))).toBe(target);
        await again.stop();
        rmSync(dirname(target), { recursive: true, force: true });
      } finally {
        await s.stop();
        rmSync(closed, { recursive: true, force: true });
      }
    },
    60_000,
  );

  (process.getuid?.() === 0 ? it : it.skip)(
    'as root, runs binaries from a checkout the postgres user cannot enter (a clone under /root)',
    () => {
      const closed = mkdtempSync(join(tmpdir(), 'keel-closed-checkout-'));
      try {
        const installed = embeddedPostgresBinaries();
        const pkg = join(closed, 'node_modules', 'platform-package');
        cpSync(join(installed.dir, '..'), pkg, { recursive: true, verbatimSymlinks: true });
        const user = postgresUser();
        if (!user) throw new Error('root has a postgres user to run as');
        const bin = reachableBinaries(
          {
            ...installed,
            dir: join(pkg, 'native'),
            postgres: join(pkg, 'native', 'bin', 'postgres'),
          },
          user,
        );
        expect(bin.dir.startsWith(closed)).toBe(false);
        const version = spawnSync(bin.postgres, ['--version'], {
          uid: user.uid,
          gid: user.gid,
          encoding: 'utf8',
        });
        expect(version.stdout).toMatch(/^postgres \(PostgreSQL\) \d+/);
      } finally {
        rmSync(closed, { recursive: true, force: true });
      }
    },
    60_000,
  );
});
