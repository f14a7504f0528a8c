import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';

const MAIN = join(__dirname, '../../dist/apps/api/src/main.js');

export interface ApiProcess {
  child: ChildProcess;
  url: string;
  /** Every JSON log line the process has written so far. */
  logs: Array<Record<string, unknown>>;
  stderr: () => string;
  exited: Promise<number | null>;
}

/**
 * Runs the built API (`npm run build` output) as a child process, for what only a
 * real process shows: signals, exit codes, start-up failures, restarts.
 */
export function spawnApi(env: Record<string, string>): {
  child: ChildProcess;
  exited: Promise<number | null>;
  stderr: () => string;
  logs: ApiProcess['logs'];
} {
  const child = spawn(process.execPath, [MAIN], {
    env: {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '',
      PORT: '0',
      HOST: '127.0.0.1',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const logs: ApiProcess['logs'] = [];
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
