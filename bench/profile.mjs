// Where Keel's time goes under one scenario's load: starts Keel with the inspector open, seeds
// it, and records a CPU profile (what `node --cpu-prof` records) of the loaded window only.
//
//   npm run build && node bench/profile.mjs --scenario 1 --profile embedded --duration 10
//
// Writes bench/results/profile-<scenario>-<profile>.{cpuprofile,svg} (the profile opens in
// Chrome DevTools or speedscope; the SVG is a flame graph) and prints the functions and the
// packages with the most self time.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { flameGraph, selfTimes } from './lib/cpu-profile.mjs';
import { closeConnections, createData, freePort, startKeel } from './lib/keel.mjs';
import { SCENARIOS } from './lib/scenarios.mjs';
import { KEEL_ENV, contextFor, measure, seed } from './lib/setup.mjs';

const { values: args } = parseArgs({
  options: {
    scenario: { type: 'string', default: '1' },
    profile: { type: 'string', default: 'embedded' },
    duration: { type: 'string', default: '10' },
    connections: { type: 'string', default: '64' },
    rows: { type: 'string', default: '10000' },
    out: { type: 'string', default: 'bench/results' },
  },
});
const scenario = SCENARIOS.find((s) => s.id === Number(args.scenario) && !s.of);
if (!scenario) throw new Error(`no scenario ${args.scenario} to profile`);
const connections = Number(args.connections);

const inspectPort = await freePort();
const data = await createData(args.profile);
const ctx = contextFor(await seed(data, Number(args.rows)));
const keel = await startKeel({
  data,
  env: KEEL_ENV,
  nodeArgs: [`--inspect=127.0.0.1:${inspectPort}`],
});
let result;
let profile;
try {
  await measure(keel, scenario, ctx, { seconds: 2, connections }); // warm-up
  // Only the measured window is sampled: no start-up, seeding or warm-up in the profile.
  const inspector = await connectInspector(inspectPort);
  await inspector.send('Profiler.enable');
  await inspector.send('Profiler.setSamplingInterval', { interval: 200 });
  await inspector.send('Profiler.start');
  result = await measure(keel, scenario, ctx, { seconds: Number(args.duration), connections });
  ({ profile } = await inspector.send('Profiler.stop'));
  inspector.close();
} finally {
  await keel.stop();
  await data.drop();
  closeConnections();
}

mkdirSync(args.out, { recursive: true });
const stem = join(args.out, `profile-${scenario.id}-${args.profile}`);
writeFileSync(`${stem}.cpuprofile`, JSON.stringify(profile));
writeFileSync(`${stem}.svg`, flameGraph(profile, `${scenario.name} (${args.profile})`));

const { byFunction, byPackage, totalMs } = selfTimes(profile);
const share = (ms) => `${((ms / totalMs) * 100).toFixed(1).padStart(5)}%`;
console.log(
  `${scenario.name}, ${args.profile}: ${Math.round(result.rps)} req/s, p99 ${result.p99} ms under --cpu-prof`,
);
console.log('\nself time by package');
for (const [name, ms] of byPackage.slice(0, 15)) console.log(`${share(ms)}  ${name}`);
console.log('\nself time by function');
for (const [name, ms] of byFunction.slice(0, 30)) console.log(`${share(ms)}  ${name}`);
console.log(`\nwrote ${stem}.cpuprofile and ${stem}.svg`);

/** A Chrome DevTools Protocol session with the Keel process (Node's inspector). */
async function connectInspector(port) {
  const [target] = await (await fetch(`http://127.0.0.1:${port}/json/list`)).json();
  const socket = new WebSocket(target.webSocketDebuggerUrl);
  await new Promise((resolve, reject) => {
    socket.onopen = resolve;
    socket.onerror = reject;
  });
  let nextId = 0;
  const pending = new Map();
  socket.onmessage = ({ data }) => {
    const message = JSON.parse(data);
    const waiting = pending.get(message.id);
    if (!waiting) return;
    pending.delete(message.id);
    if (message.error) waiting.reject(new Error(message.error.message));
    else waiting.resolve(message.result);
  };
  return {
    send(method, params = {}) {
      const id = ++nextId;
      socket.send(JSON.stringify({ id, method, params }));
      return new Promise((resolve, reject) => pending.set(id, { resolve, reject }));
    },
    close: () => socket.close(),
  };
}
