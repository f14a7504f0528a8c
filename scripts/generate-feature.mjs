#!/usr/bin/env node
// Writes a new feature library in the house layout and wires it into the apps:
//
//   npm run generate:feature -- orders
//   npm run generate:feature -- purchase-orders
//   npm run generate:feature -- people --singular person
//
// The name is the plural, kebab-case (the folder, the route and the @keel/ alias). The files
// come from scripts/templates/feature/ (paths and contents with __placeholders__). Nothing is
// ever overwritten: a name that is invalid or already taken stops the run before any write.
// See docs/adding-a-feature.md for what is generated and why.
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const templates = join(root, 'scripts/templates/feature');

const NAME = /^[a-z][a-z0-9]*(-[a-z][a-z0-9]*)*$/;
const MAX_LENGTH = 40;
/** Names the apps, the test support or the platform already use for something else. */
const RESERVED = new Set([
  'api',
  'worker',
  'core',
  'database',
  'testing',
  'health',
  'docs',
  'metrics',
  'cli',
  'client',
  'v1',
]);

class Refusal extends Error {}

function usage() {
  return [
    'usage: npm run generate:feature -- <plural-name> [--singular <name>]',
    '  <plural-name>  kebab-case, for example orders or purchase-orders',
    '  --singular     when the singular is not the plural without its s (people: person)',
  ].join('\n');
}

function parseArgs(argv) {
  const positional = [];
  let singular;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--help' || arg === '-h') return { help: true };
    if (arg === '--singular') singular = argv[++i];
    else if (arg.startsWith('--singular=')) singular = arg.slice('--singular='.length);
    else if (arg.startsWith('-')) throw new Refusal(`Unknown option ${arg}.\n${usage()}`);
    else positional.push(arg);
  }
  if (positional.length !== 1) throw new Refusal(`Give exactly one feature name.\n${usage()}`);
  return { plural: positional[0], singular };
}

/** English plurals the common way; --singular covers the rest. */
function singularOf(word) {
  if (/[^aeiou]ies$/.test(word)) return word.slice(0, -3) + 'y';
  if (/(ss|x|z|ch|sh)es$/.test(word)) return word.slice(0, -2);
  if (/[^s]s$/.test(word)) return word.slice(0, -1);
  return word;
}

function checkName(name, what) {
  if (typeof name !== 'string' || !NAME.test(name)) {
    throw new Refusal(
      `Invalid ${what} "${name ?? ''}": use lowercase kebab-case, letters and digits, starting with a letter (for example purchase-orders).`,
    );
  }
  if (name.length > MAX_LENGTH) {
    throw new Refusal(`Invalid ${what} "${name}": at most ${MAX_LENGTH} characters.`);
  }
}

function namesOf(plural, singularOverride) {
  checkName(plural, 'feature name');
  const lastPart = plural.split('-').pop();
  const singular =
    singularOverride ?? plural.slice(0, plural.length - lastPart.length) + singularOf(lastPart);
  checkName(singular, 'singular');
  const words = (kebab) => kebab.split('-');
  const pascal = (kebab) =>
    words(kebab)
      .map((w) => w[0].toUpperCase() + w.slice(1))
      .join('');
  const camel = (kebab) => pascal(kebab)[0].toLowerCase() + pascal(kebab).slice(1);
  const snake = (kebab) => words(kebab).join('_');
  const spaced = (kebab) => words(kebab).join(' ');
  return {
    plural,
    singular,
    Plural: pascal(plural),
    Singular: pascal(singular),
    singularCamel: camel(singular),
    pluralSnake: snake(plural),
    singularSnake: snake(singular),
    SINGULAR: snake(singular).toUpperCase(),
    pluralWords: spaced(plural),
    singularWords: spaced(singular),
    PluralWords: spaced(plural)[0].toUpperCase() + spaced(plural).slice(1),
    // By the first letter only: "an order", "a purchase order" (and, wrongly, "an user").
    aSingularWords: `${/^[aeiou]/.test(singular) ? 'an' : 'a'} ${spaced(singular)}`,
  };
}

function fill(text, n, timestamp) {
  // Longest placeholders first: __SINGULAR___AGGREGATE must not be read as __SINGULAR__.
  const pairs = [
    ['__SINGULAR_CODE__', n.SINGULAR],
    ['__SINGULAR__', n.SINGULAR],
    ['__A_singular_words__', n.aSingularWords[0].toUpperCase() + n.aSingularWords.slice(1)],
    ['__a_singular_words__', n.aSingularWords],
    ['__Plural_words__', n.PluralWords],
    ['__plural_words__', n.pluralWords],
    ['__singular_words__', n.singularWords],
    ['__plural_snake__', n.pluralSnake],
    ['__singular_snake__', n.singularSnake],
    ['__singularCamel__', n.singularCamel],
    ['__Plural__', n.Plural],
    ['__Singular__', n.Singular],
    ['__plural__', n.plural],
    ['__singular__', n.singular],
    ['__timestamp__', String(timestamp)],
  ];
  let out = text;
  for (const [token, value] of pairs) out = out.split(token).join(value);
  const left = out.match(/__[A-Za-z_]+__/);
  if (left) throw new Error(`template placeholder ${left[0]} has no value`);
  return out;
}

function walk(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? walk(join(dir, entry.name)) : [join(dir, entry.name)],
  );
}

const read = (path) => readFileSync(join(root, path), 'utf8');

function migrationTimestamp() {
  const dir = join(root, 'libs/database/src/migrations');
  const latest = Math.max(
    0,
    ...readdirSync(dir)
      .map((f) => /^(\d{13})-/.exec(f)?.[1])
      .filter(Boolean)
      .map(Number),
  );
  // Migrations run in timestamp order: the new one must come after every existing one,
  // whatever this machine's clock says.
  return Math.max(Date.now(), latest + 1);
}

/** Every way the name could already be taken; each is refused before anything is written. */
function checkFree(n) {
  if (RESERVED.has(n.plural)) {
    throw new Refusal(`cannot add "${n.plural}": the name is reserved. Nothing was written.`);
  }
  const taken = (why) => new Refusal(`cannot add "${n.plural}": ${why}. Nothing was written.`);
  if (existsSync(join(root, 'libs', n.plural))) throw taken(`libs/${n.plural} already exists`);
  if (existsSync(join(root, 'test', `${n.plural}.e2e-spec.ts`))) {
    throw taken(`test/${n.plural}.e2e-spec.ts already exists`);
  }
  if (read('tsconfig.json').includes(`"@keel/${n.plural}"`)) {
    throw taken(`tsconfig.json has the path @keel/${n.plural}`);
  }
  if (n.plural in JSON.parse(read('nest-cli.json')).projects) {
    throw taken(`nest-cli.json has a project "${n.plural}"`);
  }
  const sources = [...walk(join(root, 'libs')), ...walk(join(root, 'apps'))].filter((f) =>
    f.endsWith('.ts'),
  );
  const table = new RegExp(`CREATE TABLE (IF NOT EXISTS )?"?${n.pluralSnake}"?[\\s(]`);
  const route = new RegExp(`@Controller\\(\\s*['"\`]/?${n.plural}['"\`/]`);
  const classes = new RegExp(
    `export (abstract )?class (${n.Singular}|${n.Plural}Module|${n.Plural}Controller)\\b`,
  );
  for (const file of sources) {
    const text = readFileSync(file, 'utf8');
    const where = relative(root, file);
    if (table.test(text)) throw taken(`${where} creates a table ${n.pluralSnake}`);
    if (route.test(text)) throw taken(`${where} serves /v1/${n.plural}`);
    const clash = classes.exec(text);
    if (clash) throw taken(`${where} exports a class ${clash[2]}`);
  }
}

/** Inserts `line` before the `]` that closes the array opened by the first match of `opening`. */
function addToArray(text, opening, line, file) {
  const start = text.search(opening);
  if (start < 0) throw new Error(`${file}: cannot find ${opening}`);
  let depth = 0;
  for (let i = text.indexOf('[', start); i < text.length; i++) {
    if (text[i] === '[') depth++;
    else if (text[i] === ']' && --depth === 0) {
      const lineStart = text.lastIndexOf('\n', i) + 1;
      const indent = text.slice(start, lineStart).match(/\n( *)\S[^\n]*\n$/)?.[1] ?? '    ';
      const before = text.slice(0, lineStart).replace(/,?\s*$/, ',\n');
      return before + indent + line + ',\n' + text.slice(lineStart);
    }
  }
  throw new Error(`${file}: the array after ${opening} does not close`);
}

/** Adds `statement` on the line after the last line matching `pattern` (by default an @keel/ import). */
function addImport(text, statement, file, pattern = /^(import[^;]*?from '@keel\/[^']+';)$/gm) {
  let last;
  for (const match of text.matchAll(pattern)) last = match;
  if (!last) throw new Error(`${file}: no import to add ${statement} after`);
  const end = last.index + last[0].length;
  return text.slice(0, end) + '\n' + statement + text.slice(end);
}

function wiring(n, timestamp) {
  const moduleImport = `import { ${n.Plural}Module } from '@keel/${n.plural}';`;
  const addModule = (file, opening) => (text) =>
    addToArray(addImport(text, moduleImport, file), opening, `${n.Plural}Module`, file);
  const migration = `Create${n.Plural}${timestamp}`;
  return {
    'apps/api/src/app.module.ts': addModule('apps/api/src/app.module.ts', /imports: \[/),
    'apps/worker/src/worker.module.ts': addModule(
      'apps/worker/src/worker.module.ts',
      /imports: \[/,
    ),
    'apps/api/src/entities.ts': (text) =>
      addToArray(
        addImport(text, `import { ${n.Singular} } from '@keel/${n.plural}';`, 'entities.ts'),
        /export const entities = \[/,
        n.Singular,
        'apps/api/src/entities.ts',
      ),
    'libs/database/src/migrations/index.ts': (text) =>
      addToArray(
        addImport(
          text,
          `import { ${migration} } from './${timestamp}-create-${n.plural}';`,
          'migrations/index.ts',
          /^(import[^;]*?from '\.\/[^']+';)$/gm,
        ),
        /export const migrations = \[/,
        migration,
        'libs/database/src/migrations/index.ts',
      ),
    'tsconfig.json': (text) => {
      const entry = `"@keel/${n.plural}": ["./libs/${n.plural}/src/index.ts"],`;
      return addImport(
        text,
        `      ${entry}`,
        'tsconfig.json',
        /^ *"@keel\/[^"]+": \["\.\/libs\/.*$/gm,
      );
    },
    'nest-cli.json': (text) => {
      const config = JSON.parse(text);
      config.projects[n.plural] = {
        type: 'library',
        root: `libs/${n.plural}`,
        entryFile: 'index',
        sourceRoot: `libs/${n.plural}/src`,
      };
      return JSON.stringify(config, null, 2) + '\n';
    },
  };
}

async function format(path, text) {
  // Prettier is the repository's own (a devDependency); formatting here keeps long names
  // within the line width, so the output passes `npm run format:check` as written.
  const prettier = await import('prettier');
  const options = (await prettier.resolveConfig(path)) ?? {};
  return prettier.format(text, { ...options, filepath: path });
}

async function generate(plural, singularOverride) {
  const n = namesOf(plural, singularOverride);
  checkFree(n);
  const timestamp = migrationTimestamp();

  // Everything is computed before the first write, so a failure leaves the tree as it was.
  const writes = [];
  for (const template of walk(templates).filter((f) => f.endsWith('.tpl'))) {
    const path = fill(relative(templates, template).replace(/\.tpl$/, ''), n, timestamp);
    if (existsSync(join(root, path))) throw new Refusal(`${path} exists; nothing was written.`);
    writes.push({ path, text: fill(readFileSync(template, 'utf8'), n, timestamp), created: true });
  }
  for (const [path, edit] of Object.entries(wiring(n, timestamp))) {
    writes.push({ path, text: edit(read(path)), created: false });
  }
  for (const w of writes) w.text = await format(join(root, w.path), w.text);

  for (const { path, text } of writes) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), text, { flag: 'w' });
  }
  return { names: n, writes };
}

async function main() {
  try {
    const args = parseArgs(process.argv.slice(2));
    if (args.help) {
      console.log(usage());
      return;
    }
    const { names: n, writes } = await generate(args.plural, args.singular);
    console.log(`Feature ${n.plural} (${n.Singular}, table ${n.pluralSnake}, /v1/${n.plural}):`);
    for (const w of writes) console.log(`  ${w.created ? 'created' : 'updated'}  ${w.path}`);
    console.log(
      [
        '',
        'Next:',
        `  npm run typecheck && npm run lint`,
        `  sh scripts/node24.sh node --experimental-vm-modules node_modules/jest/bin/jest.js test/${n.plural}.e2e-spec.ts test/schema.e2e-spec.ts`,
        '  then read docs/adding-a-feature.md: adding fields, migrations, events, caching.',
      ].join('\n'),
    );
  } catch (error) {
    if (!(error instanceof Refusal)) throw error;
    console.error(`generate:feature: ${error.message}`);
    process.exitCode = 1;
  }
}

await main();
