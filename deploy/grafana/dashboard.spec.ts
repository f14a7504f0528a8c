import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { checkExpr, loadCatalogue, namesIn } from '../prometheus/promql-names';

/**
 * The dashboard may query only the catalogue's metrics and labels (a renamed metric would
 * otherwise leave its panels empty without anyone noticing), through the `datasource`
 * variable, for the jobs the `job` variable selects.
 */

interface Target {
  refId: string;
  expr?: string;
  datasource?: { type: string; uid: string };
}

interface Panel {
  id: number;
  type: string;
  title: string;
  datasource?: { type: string; uid: string };
  targets?: Target[];
  panels?: Panel[];
}

interface Variable {
  name: string;
  type: string;
  query: string | { query: string };
}

interface Dashboard {
  schemaVersion: number;
  panels: Panel[];
  templating: { list: Variable[] };
}

const dashboard = JSON.parse(
  readFileSync(join(__dirname, 'keel-dashboard.json'), 'utf8'),
) as Dashboard;
const catalogue = loadCatalogue();

/** Rows hold their panels in `panels` while collapsed. */
const panels = dashboard.panels.flatMap((p) => [p, ...(p.panels ?? [])]);
const queries = panels.flatMap((panel) =>
  (panel.targets ?? []).map((target) => ({ panel, target, expr: target.expr ?? '' })),
);
const ROWS = ['RED per route', 'Dependencies', 'Outbox', 'Jobs', 'Event stream', 'Auth', 'Runtime'];

/** Grafana's `label_values(selector, label)` as the PromQL whose names it uses. */
function variableExpr(query: Variable['query']): string {
  const text = typeof query === 'string' ? query : query.query;
  const labelValues = /^label_values\((.+),\s*(\w+)\)$/.exec(text.trim());
  return labelValues ? `sum by (${labelValues[2]}) (${labelValues[1]})` : text;
}

describe('keel-dashboard.json', () => {
  it('has the rows, a Prometheus `datasource` variable and a `job` variable', () => {
    expect(dashboard.schemaVersion).toBeGreaterThanOrEqual(39);
    expect(panels.filter((p) => p.type === 'row').map((p) => p.title)).toEqual(ROWS);
    const variables = dashboard.templating.list;
    expect(variables.map((v) => [v.name, v.type])).toEqual([
      ['datasource', 'datasource'],
      ['job', 'query'],
    ]);
    expect(variables[0].query).toBe('prometheus');
  });

  it('queries every panel through the datasource variable', () => {
    const elsewhere = queries
      .filter(({ panel, target }) =>
        [panel.datasource?.uid, target.datasource?.uid].some((uid) => uid !== '${datasource}'),
      )
      .map(({ panel }) => panel.title);
    expect(queries.length).toBeGreaterThan(0);
    expect(elsewhere).toEqual([]);
  });

  it('uses only metrics and labels of the catalogue', () => {
    const problems = [
      ...queries.map(({ panel, target, expr }) => ({
        where: `${panel.title} (${target.refId})`,
        problems: checkExpr(expr, catalogue),
      })),
      ...dashboard.templating.list
        .filter((v) => v.type === 'query')
        .map((v) => ({
          where: `$${v.name}`,
          problems: checkExpr(variableExpr(v.query), catalogue),
        })),
    ].filter((p) => p.problems.length > 0);
    expect(problems).toEqual([]);
  });

  it('filters every series by the job variable', () => {
    const unfiltered = queries
      .filter(
        ({ expr }) =>
          !expr.includes('job=~"$job"') ||
          namesIn(expr).selectors.some((s) => !s.matchers.includes('job')),
      )
      .map(({ panel, target }) => `${panel.title} (${target.refId})`);
    expect(unfiltered).toEqual([]);
  });

  it('gives every panel a unique id', () => {
    const ids = panels.map((p) => p.id);
    expect(new Set(ids).size).toBe(ids.length);
  });
});
