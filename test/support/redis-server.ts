import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createConnection, createServer } from 'node:net';

/**
 * A redis-server of a test's own, on a free port, so a test can stop or freeze it without
 * touching the machine's shared Redis. Needs `redis-server` on PATH.
 */
export interface TestRedis {
  url: string;
  port: number;
  /** SIGTERM and wait for the exit: connections are refused until `start()`. */
  stop(): Promise<void>;
  /** Starts it again on the same port (empty: no persistence). */
  start(): Promise<void>;
  /** SIGSTOP: connections stay open and nothing answers. */
  freeze(): void;
  /** SIGCONT. */
  thaw(): void;
  close(): Promise<void>;
}

/**
 * Whether suites that run their own Redis can run here. A machine with only Node has no
 * `redis-server`, and those suites are skipped; CI sets KEEL_REQUIRE_REDIS_SERVER=1 so
 * that a missing binary fails instead of skipping.
 */
export function redisServerAvailable(): boolean {
  const found = spawnSync('redis-server', ['--version'], { stdio: 'ignore' }).status === 0;
  if (!found && process.env.KEEL_REQUIRE_REDIS_SERVER === '1') {
    throw new Error('redis-server is not on PATH, and KEEL_REQUIRE_REDIS_SERVER=1');
  }
  return found;
}

export async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

async function waitUntilListening(port: number, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const socket = createConnection({ port, host: '127.0.0.1' });
      socket.once('connect', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`redis-server did not listen on ${port}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export async function startTestRedis(): Promise<TestRedis> {
  const port = await freePort();
  let child: ChildProcess | undefined;
  let frozen = false;

  const start = async () => {
    child = spawn(
      'redis-server',
      ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
      { stdio: 'ignore' },
    );
    await waitUntilListening(port);
  };
  const stop = async () => {
    const running = child;
    child = undefined;
    if (!running || running.exitCode !== null) return;
    if (frozen) running.kill('SIGCONT');
    frozen = false;
    const exited = once(running, 'exit');
    running.kill('SIGTERM');
    await exited;
  };

  await start();
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    stop,
    start,
    freeze: () => {
      child?.kill('SIGSTOP');
      frozen = true;
    },
    thaw: () => {
      child?.kill('SIGCONT');
      frozen = false;
    },
    close: stop,
  };
}
