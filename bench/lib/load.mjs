// The load generator, always in a process of its own: wrk where it is installed (with
// wrk-load.lua), otherwise autocannon in a child process (autocannon-child.mjs). Both read the
// same request file and report the same fields.
import { execFileSync, fork, spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const HERE = import.meta.dirname;

/** 'wrk' when `wrk` runs on this machine, else 'autocannon'. */
export function defaultGenerator() {
  try {
    execFileSync('wrk', ['--version'], { stdio: 'ignore' });
    return 'wrk';
  } catch (error) {
    // `wrk --version` prints its usage and exits 1: installed all the same.
    return error.code === 'ENOENT' ? 'autocannon' : 'wrk';
  }
}

/** Writes `{ method, path, token?, body? }` requests, one a line, tab-separated. */
export function writeRequests(file, requests) {
  const line = ({ method, path, token = '', body }) =>
    `${method}\t${path}\t${token}\t${body === undefined ? '' : JSON.stringify(body)}`;
  writeFileSync(file, `${requests.map(line).join('\n')}\n`);
}

/** The requests of `writeRequests`, as autocannon request fields. */
export function readRequests(file) {
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => {
      const [method, path, token, body] = line.split('\t');
      const headers = {
        ...(token ? { authorization: `Bearer ${token}` } : {}),
        ...(body ? { 'content-type': 'application/json' } : {}),
      };
      return { method, path, headers, body: body || undefined };
    });
}

/**
 * Sends the requests of `file` in order (wrapping) to `base` for `seconds` over `connections`.
 * Resolves `{ rps, p50, p99, max, errors, non2xx, sent, hits, misses }` (ms; `hits`/`misses`
 * count the X-Cache header; `sent` is how many requests of the file were taken).
 */
export function load(generator, { base, file, seconds, connections }) {
  return generator === 'wrk'
    ? wrk({ base, file, seconds, connections })
    : autocannon({ base, file, seconds, connections });
}

function wrk({ base, file, seconds, connections }) {
  // wrk takes whole seconds; one thread, as the reference figures of the issue were taken.
  const args = ['-t1', `-c${connections}`, `-d${Math.max(1, Math.round(seconds))}s`];
  args.push('--timeout', '10s', '-s', join(HERE, 'wrk-load.lua'), base, '--', file);
  return new Promise((resolve, reject) => {
    const child = spawn('wrk', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (chunk) => (out += chunk));
    child.stderr.on('data', (chunk) => (out += chunk));
    child.once('error', reject);
    child.once('exit', (code) => {
      const line = /^WRK_RESULT (.*)$/m.exec(out);
      if (code !== 0 || !line) return reject(new Error(`wrk exited ${code}:\n${out}`));
      const r = JSON.parse(line[1]);
      resolve({
        rps: r.requests / (r.durationUs / 1e6),
        p50: r.p50,
        p99: r.p99,
        max: r.max,
        errors: r.errors,
        non2xx: r.non2xx,
        sent: r.sent,
        hits: r.hits,
        misses: r.misses,
      });
    });
  });
}

function autocannon(options) {
  return new Promise((resolve, reject) => {
    const child = fork(join(HERE, 'autocannon-child.mjs'), {
      stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
    });
    let result;
    child.once('message', (message) => (result = message));
    child.once('error', reject);
    child.once('exit', (code) =>
      result ? resolve(result) : reject(new Error(`autocannon exited ${code}`)),
    );
    child.send(options);
  });
}
