// The memory an embedded PGlite database takes by itself, before Keel does anything:
//   node bench/pglite-footprint.mjs
// Prints the process RSS before and after opening an empty PGlite database in a temp folder.
import { PGlite } from '@electric-sql/pglite';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const rssMb = () =>
  Math.round(Number(/VmRSS:\s+(\d+)/.exec(readFileSync('/proc/self/status', 'utf8'))[1]) / 1024);
const dir = mkdtempSync(join(tmpdir(), 'keel-pglite-'));
const before = rssMb();
const db = new PGlite(dir);
await db.query('select 1');
console.log(
  JSON.stringify({ rssBeforeMb: before, rssWithPgliteMb: rssMb(), pgliteMb: rssMb() - before }),
);
await db.close();
rmSync(dir, { recursive: true, force: true });
