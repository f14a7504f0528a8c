#!/usr/bin/env node
// Some registry mirrors serve only the current platform's builds of packages that
// ship one optional package per platform (for example @unrs/resolver-binding-*, used
// by jest). `npm install` behind such a mirror leaves the other platforms out of
// package-lock.json, and `npm ci` then refuses the lock as out of sync. This adds the
// missing optional entries (version, platform, dev/optional flags) so `npm ci` works
// everywhere; npm fetches them only on the platform they are for.
//
//   node scripts/complete-lockfile.mjs   # after any `npm install` that changed the lock
import { readFileSync, writeFileSync } from 'node:fs';

const file = new URL('../package-lock.json', import.meta.url);
const lock = JSON.parse(readFileSync(file, 'utf8'));
const packages = lock.packages;

const OS = [
  'android',
  'darwin',
  'freebsd',
  'linux',
  'openharmony',
  'win32',
  'sunos',
  'aix',
  'netbsd',
  'openbsd',
];
const CPU = ['arm', 'arm64', 'ia32', 'x64', 'loong64', 'ppc64', 'riscv64', 's390x', 'wasm32'];

/** Platform fields read off a name such as `resolver-binding-linux-arm-musleabihf`. */
function platformOf(name) {
  const parts = name.split('/').pop().split('-');
  const osIndex = parts.findIndex((p) => OS.includes(p));
  if (osIndex < 0 || !CPU.includes(parts[osIndex + 1])) return null;
  const os = parts[osIndex];
  const abi = parts[osIndex + 2] ?? '';
  const fields = { cpu: [parts[osIndex + 1]], os: [os] };
  if (os === 'linux') fields.libc = [abi.startsWith('musl') ? 'musl' : 'glibc'];
  return fields;
}

let added = 0;
for (const [path, entry] of Object.entries(packages)) {
  for (const [dep, version] of Object.entries(entry.optionalDependencies ?? {})) {
    const key = `node_modules/${dep}`;
    if (packages[key] || packages[`${path}/node_modules/${dep}`]) continue;
    const platform = platformOf(dep);
    if (!platform || !/^\d+\.\d+\.\d+/.test(version)) continue;
    packages[key] = { version, ...platform, ...(entry.dev ? { dev: true } : {}), optional: true };
    added += 1;
  }
}
const sorted = Object.fromEntries(
  Object.entries(packages).sort(([a], [b]) => (a === '' ? -1 : b === '' ? 1 : a.localeCompare(b))),
);
lock.packages = sorted;
writeFileSync(file, `${JSON.stringify(lock, null, 2)}\n`);
console.log(`complete-lockfile: added ${added} platform entries`);
