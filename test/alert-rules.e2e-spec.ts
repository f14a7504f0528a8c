import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

/**
 * The Prometheus files under deploy/prometheus, checked by promtool (Debian and Ubuntu:
 * `apt-get install prometheus`): rule syntax, the rules' unit tests (alerts.test.yml) and the
 * scrape configuration with the rule file it loads. Skipped where promtool is not on PATH,
 * unless KEEL_REQUIRE_PROMTOOL=1 (CI), which turns a missing promtool into a failure.
 */

const ROOT = join(__dirname, '..');

function promtoolFound(): boolean {
  return spawnSync('promtool', ['--version'], { stdio: 'ignore' }).status === 0;
}

/** promtool's output; throws with it when promtool exits non-zero or cannot run. */
function promtool(...args: string[]): string {
  const run = spawnSync('promtool', args, { cwd: ROOT, encoding: 'utf8', timeout: 30_000 });
  if (run.error) throw new Error(`promtool ${args.join(' ')} could not run: ${run.error.message}`);
  const output = `${run.stdout}${run.stderr}`;
  if (run.status !== 0) {
    throw new Error(`promtool ${args.join(' ')} exited with ${run.status}:\n${output}`);
  }
  return output;
}

const required = process.env.KEEL_REQUIRE_PROMTOOL === '1';
const found = promtoolFound();
const describeWithPromtool = found || required ? describe : describe.skip;

describeWithPromtool('alerting rules and scrape configuration (promtool)', () => {
  it('promtool is on PATH', () => {
    // Reached without promtool only when KEEL_REQUIRE_PROMTOOL=1.
    expect({ found, hint: 'apt-get install prometheus' }).toEqual({
      found: true,
      hint: expect.any(String),
    });
  });

  it('the rule file is valid (promtool check rules)', () => {
    expect(promtool('check', 'rules', 'deploy/prometheus/alerts.yml')).toMatch(/SUCCESS/);
  });

  it('every alert passes its unit tests (promtool test rules)', () => {
    expect(promtool('test', 'rules', 'deploy/prometheus/alerts.test.yml')).toMatch(/SUCCESS/);
  });

  it('the scrape configuration is valid and loads the rule file (promtool check config)', () => {
    const output = promtool('check', 'config', 'deploy/prometheus/prometheus.yml');
    expect(output).toMatch(/SUCCESS: 1 rule files found/);
    expect(output).toMatch(/Checking deploy\/prometheus\/alerts\.yml/);
  });
});
