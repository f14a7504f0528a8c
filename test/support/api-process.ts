import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';

const API_MAIN = join(__dirname, '../../dist/apps/api/src/main.js');
const WORKER_MAIN = join(__dirname, '../../dist/apps/worker/src/main.js');

export interface SpawnedProcess {
  child: ChildProcess;
  exited: Promise<number | null>;
  stderr: () => string;
  /** Every JSON log line the process has written so far. */
  logs: Array<Record<string, unknown>>;
}

export interface ApiProcess extends SpawnedProcess {
  url: string;
}

/**
 * Runs the built API (`npm run build` output; or another app's `main`) as a child process, for what only a
 * real process shows: signals, exit codes, start-up failures, restarts.
 */
export function spawnApi(env: Record<string, string>, main = API_MAIN): SpawnedProcess {
  const child = spawn(process.execPath, [main], {
    env: {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '',
      PORT: '0',
      METRICS_PORT: '0',
      HOST: '127.0.0.1',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const logs: SpawnedProcess['logs'] = [];
  let err = '';
  let pending = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    pending += chunk.toString();
    const lines = pending.split('\n');
    pending = lines.pop() ?? '';
    for (const line of lines) {
      try {
        logs.push(JSON.parse(line) as Record<string, unknown>);
      } catch {
        logs.push({ raw: line });
      }
    }
  });
  child.stderr?.on('data', (chunk: Buffer) => (err += chunk.toString()));
  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (code) => resolve(code)),
  );
  return { child, exited, stderr: () => err, logs };
}

/** Starts the built API and waits until it listens. */
export async function startApiProcess(
  env: Record<string, string>,
  timeoutMs = 90_000,
): Promise<ApiProcess> {
  const started = spawnApi(env);
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const line = started.logs.find(
      (l) => typeof l.msg === 'string' && l.msg.startsWith('Keel API listening on'),
    );
    if (line) {
      const url = /listening on (http:\/\/[^ ]+)/.exec(line.msg as string)?.[1] ?? '';
      return { ...started, url };
    }
    if (started.child.exitCode !== null) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  started.child.kill('SIGKILL');
  throw new Error(
    `API did not start: ${started.stderr()}\n${JSON.stringify(started.logs.slice(-5))}`,
  );
}

/** Starts the built worker app (`apps/worker`) and waits until it runs. */
export async function startWorkerProcess(
  env: Record<string, string>,
  timeoutMs = 60_000,
): Promise<SpawnedProcess> {
  const started = spawnApi(env, WORKER_MAIN);
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (
      started.logs.some((l) => typeof l.msg === 'string' && l.msg.startsWith('Keel worker running'))
    ) {
      return started;
    }
    if (started.child.exitCode !== null) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  started.child.kill('SIGKILL');
  throw new Error(
    `worker did not start: ${started.stderr()}\n${JSON.stringify(started.logs.slice(-5))}`,
  );
}
