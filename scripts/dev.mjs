// `npm run dev`: the API in watch mode (`nest start --watch`: compile on change, restart) with
// its JSON log lines made readable by pino-pretty. The app itself still writes JSON, as in
// production; only this terminal view differs.
//
// Ctrl-C reaches every process of the terminal's group, the app included, which then closes in
// order (the embedded Postgres too) and this script exits with its code. `--no-shell`: the
// watcher starts the app without a shell in between, so the signals it forwards (a restart's
// SIGTERM, a SIGTERM sent to this script alone) reach the app, not a shell that ignores them.
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import PinoPretty from 'pino-pretty';

const require = createRequire(import.meta.url);
const nest = require.resolve('@nestjs/cli/bin/nest.js');

const pretty = (fd) =>
  PinoPretty({
    destination: fd,
    colorize: Boolean(fd === 1 ? process.stdout.isTTY : process.stderr.isTTY),
    translateTime: 'SYS:HH:MM:ss.l',
    ignore: 'pid,hostname,service,context',
    messageFormat: '{if context}[{context}] {end}{msg}',
    hideObject: false,
  });

const watcher = spawn(
  process.execPath,
  [
    nest,
    'start',
    'api',
    '--watch',
    '--preserveWatchOutput',
    '--no-shell',
    ...process.argv.slice(2),
  ],
  { stdio: ['inherit', 'pipe', 'pipe'] },
);
// Lines that are not JSON (the compiler's) pass through unchanged.
watcher.stdout.pipe(pretty(1));
watcher.stderr.pipe(pretty(2));

for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.on(signal, () => watcher.kill(signal));
}
watcher.on('exit', (code, signal) => {
  process.exitCode = code ?? (signal ? 1 : 0);
});
