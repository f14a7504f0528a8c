import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { load } from 'js-yaml';
import { checkExpr, loadCatalogue } from './promql-names';

/**
 * What promtool does not check: the rules' metric names against the catalogue, the labels
 * and annotations every alert must carry, and that every alert has unit tests on both sides.
 * promtool itself runs in test/alert-rules.e2e-spec.ts.
 */

interface AlertRule {
  alert?: string;
  record?: string;
  expr: string;
  for?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

interface RuleFile {
  groups: { name: string; rules: AlertRule[] }[];
}

interface RuleTestFile {
  rule_files: string[];
  tests: { alert_rule_test?: { alertname: string; exp_alerts?: unknown[] | null }[] }[];
}

function readYaml<T>(file: string): T {
  return load(readFileSync(join(__dirname, file), 'utf8')) as T;
}

const rules = readYaml<RuleFile>('alerts.yml').groups.flatMap((group) => group.rules);
const alerts = rules.filter((rule) => rule.alert !== undefined);
const catalogue = loadCatalogue();

describe('alerts.yml', () => {
  it('has alerts', () => {
    expect(alerts.length).toBeGreaterThan(0);
  });

  it.each(rules)('$alert uses only metrics and labels of the catalogue', (rule) => {
    expect(checkExpr(rule.expr, catalogue)).toEqual([]);
  });

  it.each(alerts)('$alert has a for:, a severity and both annotations', (rule) => {
    expect({
      for: rule.for,
      severity: rule.labels?.severity,
      summary: rule.annotations?.summary,
      description: rule.annotations?.description,
    }).toEqual({
      for: expect.stringMatching(/^\d+[smh]$/),
      severity: expect.stringMatching(/^(critical|warning)$/),
      summary: expect.stringMatching(/\S/),
      description: expect.stringMatching(/\S/),
    });
  });
});

describe('alerts.test.yml', () => {
  const file = readYaml<RuleTestFile>('alerts.test.yml');
  const cases = file.tests.flatMap((test) => test.alert_rule_test ?? []);

  it('tests alerts.yml', () => {
    expect(file.rule_files).toEqual(['alerts.yml']);
  });

  it.each(alerts)('$alert has a case where it fires and one where it does not', (rule) => {
    const own = cases.filter((c) => c.alertname === rule.alert);
    expect({
      fires: own.some((c) => (c.exp_alerts ?? []).length > 0),
      staysQuiet: own.some((c) => (c.exp_alerts ?? []).length === 0),
    }).toEqual({ fires: true, staysQuiet: true });
  });

  it('names no alert that alerts.yml lacks', () => {
    const names = new Set(alerts.map((rule) => rule.alert));
    expect(cases.map((c) => c.alertname).filter((name) => !names.has(name))).toEqual([]);
  });
});
