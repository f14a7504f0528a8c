import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';

/**
 * `npm run generate:feature` in a copy of the repository: the feature it writes must
 * typecheck, build, lint, be formatted and pass its own end-to-end test (and the schema
 * test, which holds its entity against its migration) at once, on this run's profile.
 * Slow (a typecheck, a build and a lint of the whole copy), so it generates once.
 */
const REPO = join(__dirname, '..');
const FEATURE = 'purchase-orders';
/** The files the generator edits; a refused run must leave them as they were. */
const WIRING = [
  'apps/api/src/app.module.ts',
  'apps/worker/src/worker.module.ts',
  'apps/api/src/entities.ts',
  'libs/database/src/migrations/index.ts',
  'tsconfig.json',
  'nest-cli.json',
];
const STEP_TIMEOUT = 600_000;

interface Run {
  status: number | null;
  output: string;
}

/** The repository as committed plus uncommitted work, without node_modules, dist or data. */
function sourceFiles(): string[] {
  const git = spawnSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], {
    cwd: REPO,
    encoding: 'utf8',
  });
  if (git.status === 0) return git.stdout.split('\0').filter(Boolean);
  const skip = new Set(['node_modules', 'dist', 'data', 'coverage', '.git']);
  const walk = (dir: string): string[] =>
    readdirSync(join(REPO, dir), { withFileTypes: true })
      .filter((e) => !skip.has(e.name))
      .flatMap((e) => (e.isDirectory() ? walk(join(dir, e.name)) : [join(dir, e.name)]));
  return walk('.');
}

function copyRepo(): string {
  const copy = mkdtempSync(join(tmpdir(), 'keel-generate-'));
  for (const file of sourceFiles()) {
    // Listed by git but deleted in the working tree.
    if (!existsSync(join(REPO, file))) continue;
    mkdirSync(dirname(join(copy, file)), { recursive: true });
    copyFileSync(join(REPO, file), join(copy, file));
  }
  symlinkSync(join(REPO, 'node_modules'), join(copy, 'node_modules'), 'dir');
  return copy;
}

function run(cwd: string, command: string, args: string[]): Promise<Run> {
  // Not this runner's worker id: the inner jest must not think it is one of our workers.
  const env = { ...process.env };
  delete env.JEST_WORKER_ID;
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.on('error', reject);
    child.on('close', (status) => resolve({ status, output }));
  });
}

async function mustSucceed(cwd: string, command: string, args: string[]): Promise<string> {
  const result = await run(cwd, command, args);
  if (result.status !== 0) {
    throw new Error(
      `${command} ${args.join(' ')} exited with ${result.status}:\n${result.output.slice(-6000)}`,
    );
  }
  return result.output;
}

function fingerprint(root: string): Record<string, string> {
  const hash = (file: string) =>
    createHash('sha256')
      .update(readFileSync(join(root, file)))
      .digest('hex');
  return Object.fromEntries(WIRING.map((file) => [file, hash(file)]));
}

function listFiles(root: string, dir: string): string[] {
  if (!existsSync(join(root, dir))) return [];
  return readdirSync(join(root, dir), { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => relative(root, join(e.parentPath, e.name)))
    .sort();
}

describe('npm run generate:feature', () => {
  let copy: string;
  const generate = (...args: string[]) =>
    run(copy, process.execPath, ['scripts/generate-feature.mjs', ...args]);
  const npm = (script: string) => mustSucceed(copy, 'npm', ['run', '--silent', script]);

  beforeAll(() => {
    copy = copyRepo();
  });
  afterAll(() => {
    if (copy) rmSync(copy, { recursive: true, force: true });
  });

  it.each([
    ['an invalid name', ['Purchase_Orders'], /Invalid feature name "Purchase_Orders"/],
    ['an existing feature', ['items'], /cannot add "items": libs\/items already exists/],
    [
      'a name whose table exists',
      ['webhook-deliveries'],
      /cannot add "webhook-deliveries": .* creates a table webhook_deliveries/,
    ],
    ['no name', [], /Give exactly one feature name/],
  ])('refuses %s with a message and exit code 1, writing nothing', async (_case, args, message) => {
    const before = fingerprint(copy);
    const libs = listFiles(copy, 'libs');
    const result = await generate(...args);
    expect(result.status).toBe(1);
    expect(result.output).toMatch(message);
    expect(fingerprint(copy)).toEqual(before);
    expect(listFiles(copy, 'libs')).toEqual(libs);
  });

  it(
    `writes ${FEATURE} in the house layout and wires it into the apps`,
    async () => {
      const before = fingerprint(copy);
      await mustSucceed(copy, process.execPath, ['scripts/generate-feature.mjs', FEATURE]);
      const src = `libs/${FEATURE}/src`;
      expect(listFiles(copy, `libs/${FEATURE}`)).toEqual(
        [
          `${src}/commands/create-purchase-order/create-purchase-order.command.ts`,
          `${src}/commands/create-purchase-order/create-purchase-order.handler.ts`,
          `${src}/dto/purchase-order.dto.ts`,
          `${src}/dto/purchase-order.mapper.ts`,
          `${src}/entities/purchase-order.entity.ts`,
          `${src}/events/purchase-order-created.event.ts`,
          `${src}/index.ts`,
          `${src}/purchase-orders.controller.ts`,
          `${src}/purchase-orders.errors.ts`,
          `${src}/purchase-orders.module.ts`,
          `${src}/queries/get-purchase-order/get-purchase-order.handler.ts`,
          `${src}/queries/get-purchase-order/get-purchase-order.query.ts`,
        ].sort(),
      );
      expect(existsSync(join(copy, `test/${FEATURE}.e2e-spec.ts`))).toBe(true);
      const after = fingerprint(copy);
      for (const file of WIRING) expect([file, after[file]]).not.toEqual([file, before[file]]);
      expect(readFileSync(join(copy, 'apps/api/src/app.module.ts'), 'utf8')).toContain(
        "import { PurchaseOrdersModule } from '@keel/purchase-orders';",
      );
    },
    STEP_TIMEOUT,
  );

  it(
    'refuses to generate the same feature again, writing nothing',
    async () => {
      const before = fingerprint(copy);
      const files = listFiles(copy, `libs/${FEATURE}`);
      const result = await generate(FEATURE);
      expect(result.status).toBe(1);
      expect(result.output).toMatch(`cannot add "${FEATURE}": libs/${FEATURE} already exists`);
      expect(fingerprint(copy)).toEqual(before);
      expect(listFiles(copy, `libs/${FEATURE}`)).toEqual(files);
    },
    STEP_TIMEOUT,
  );

  it('typechecks', () => npm('typecheck'), STEP_TIMEOUT);
  it('builds', () => npm('build'), STEP_TIMEOUT);
  it('lints', () => npm('lint'), STEP_TIMEOUT);
  it('is formatted', () => npm('format:check'), STEP_TIMEOUT);
  it(
    'joins the typed client, and its routes pass the OpenAPI lint',
    async () => {
      await npm('client:generate');
      const schema = readFileSync(join(copy, 'packages/client/src/schema.ts'), 'utf8');
      expect(schema).toContain(`'/v1/${FEATURE}/{id}': {`);
      await npm('openapi:lint');
    },
    STEP_TIMEOUT,
  );

  it(
    'passes its generated end-to-end test, the schema test with its migration and the OpenAPI test',
    async () => {
      const report = join(copy, 'jest-report.json');
      await mustSucceed(copy, process.execPath, [
        '--experimental-vm-modules',
        'node_modules/jest/bin/jest.js',
        // A generated app that fails to start leaves its database running: end the run anyway.
        '--forceExit',
        '--json',
        `--outputFile=${report}`,
        `test/${FEATURE}.e2e-spec.ts`,
        'test/schema.e2e-spec.ts',
        'test/openapi.e2e-spec.ts',
      ]);
      const results = JSON.parse(readFileSync(report, 'utf8')) as {
        numFailedTests: number;
        numPendingTests: number;
        numPassedTests: number;
        testResults: Array<{ name: string; status: string }>;
      };
      expect(results.testResults.map((r) => [relative(copy, r.name), r.status]).sort()).toEqual([
        ['test/openapi.e2e-spec.ts', 'passed'],
        [`test/${FEATURE}.e2e-spec.ts`, 'passed'],
        ['test/schema.e2e-spec.ts', 'passed'],
      ]);
      expect(results.numFailedTests).toBe(0);
      expect(results.numPendingTests).toBe(0);
      expect(results.numPassedTests).toBeGreaterThanOrEqual(10);
    },
    STEP_TIMEOUT,
  );
});
