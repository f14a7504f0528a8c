import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Checks the metric and label names a PromQL expression uses against Keel's metric catalogue
 * (metric-names.json), so that alerts and dashboards break the build when a metric or a label
 * is renamed instead of going silently empty. Not a PromQL parser: it reads names, and
 * promtool checks the syntax of the rules.
 */

export type MetricType = 'counter' | 'gauge' | 'histogram';

export interface CatalogueEntry {
  type: MetricType;
  labels: string[];
  buckets?: number[];
}

export type Catalogue = Record<string, CatalogueEntry>;

export const CATALOGUE_PATH = join(__dirname, 'metric-names.json');

export function loadCatalogue(path = CATALOGUE_PATH): Catalogue {
  const parsed = JSON.parse(readFileSync(path, 'utf8')) as { metrics: Catalogue };
  return parsed.metrics;
}

/** Added by Prometheus to every series of a target (job, instance) or by Kubernetes discovery. */
export const TARGET_LABELS = [
  'job',
  'instance',
  'namespace',
  'pod',
  'service',
  'container',
  'endpoint',
];

/** Series Prometheus writes itself for every target; not Keel's to export. */
const PROMETHEUS_SERIES: Catalogue = { up: { type: 'gauge', labels: [] } };

const HISTOGRAM_SUFFIXES = ['_bucket', '_sum', '_count'] as const;

const AGGREGATIONS = [
  'sum',
  'min',
  'max',
  'avg',
  'group',
  'stddev',
  'stdvar',
  'count',
  'count_values',
  'bottomk',
  'topk',
  'quantile',
  'limitk',
  'limit_ratio',
];

const FUNCTIONS = new Set([
  ...AGGREGATIONS,
  ...['abs', 'absent', 'absent_over_time', 'ceil', 'changes', 'clamp', 'clamp_max', 'clamp_min'],
  ...['day_of_month', 'day_of_week', 'day_of_year', 'days_in_month', 'delta', 'deriv', 'exp'],
  ...['floor', 'histogram_quantile', 'histogram_fraction', 'histogram_count', 'histogram_sum'],
  ...['holt_winters', 'hour', 'idelta', 'increase', 'irate', 'label_join', 'label_replace'],
  ...['ln', 'log2', 'log10', 'minute', 'month', 'predict_linear', 'rate', 'resets', 'round'],
  ...['scalar', 'sgn', 'sort', 'sort_desc', 'sqrt', 'time', 'timestamp', 'vector', 'year'],
  ...['avg_over_time', 'min_over_time', 'max_over_time', 'sum_over_time', 'count_over_time'],
  ...['quantile_over_time', 'stddev_over_time', 'stdvar_over_time', 'last_over_time'],
  ...['present_over_time'],
]);

/** Words that are neither metrics nor functions: modifiers, set operators, literals. */
const KEYWORDS = new Set(['bool', 'and', 'or', 'unless', 'offset', 'inf', 'nan']);

/** Their parentheses hold label names. */
const GROUPING = new Set(['by', 'without', 'on', 'ignoring', 'group_left', 'group_right']);

export interface SelectorRef {
  /** As written, e.g. `http_server_request_duration_seconds_bucket`. */
  name: string;
  /** Labels of its matchers. */
  matchers: string[];
}

export interface ExprNames {
  selectors: SelectorRef[];
  /** Labels named in by/without/on/ignoring/group_left/group_right. */
  grouping: string[];
  functions: string[];
}

/**
 * Reads the names out of an expression. Grafana variables are replaced first: `$__interval`
 * style ones only occur in ranges, `$job` style ones in label values (both dropped with
 * the ranges and strings).
 */
export function namesIn(expr: string): ExprNames {
  const text = expr
    .replace(/#[^\n]*/g, ' ')
    .replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`/g, '""')
    .replace(/\[[^\]]*\]/g, ' ')
    .replace(/\$\{\w+\}|\$\w+/g, '1');
  const tokens =
    text.match(/[A-Za-z_:][\w:]*|\d+(?:\.\d+)?(?:e[+-]?\d+)?[a-z]*|=~|!~|!=|==|>=|<=|\S/gi) ?? [];
  const result: ExprNames = { selectors: [], grouping: [], functions: [] };
  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i];
    if (token === '{') {
      // A selector's matchers; with no name before them, a bare `{__name__=...}`.
      const previous = tokens[i - 1];
      const named = previous !== undefined && result.selectors.at(-1)?.name === previous;
      const selector: SelectorRef = named
        ? result.selectors[result.selectors.length - 1]
        : { name: '', matchers: [] };
      if (!named) result.selectors.push(selector);
      for (i++; i < tokens.length && tokens[i] !== '}'; i++) {
        if (/^[A-Za-z_]\w*$/.test(tokens[i]) && /^(=|!=|=~|!~)$/.test(tokens[i + 1] ?? '')) {
          selector.matchers.push(tokens[i]);
        }
      }
      continue;
    }
    if (!/^[A-Za-z_:]/.test(token)) continue;
    const next = tokens[i + 1];
    if (GROUPING.has(token.toLowerCase())) {
      if (next !== '(') continue;
      for (i += 2; i < tokens.length && tokens[i] !== ')'; i++) {
        if (tokens[i] !== ',') result.grouping.push(tokens[i]);
      }
      continue;
    }
    if (next === '(') {
      result.functions.push(
        AGGREGATIONS.includes(token.toLowerCase()) ? token.toLowerCase() : token,
      );
      continue;
    }
    if (AGGREGATIONS.includes(token.toLowerCase())) {
      // `sum by (x) (...)`: the grouping comes before the parentheses.
      result.functions.push(token.toLowerCase());
      continue;
    }
    if (KEYWORDS.has(token.toLowerCase())) continue;
    result.selectors.push({ name: token, matchers: [] });
  }
  return result;
}

/** What is wrong with an expression's names, as readable sentences; empty when nothing is. */
export function checkExpr(expr: string, catalogue: Catalogue): string[] {
  const names = namesIn(expr);
  const known: Catalogue = { ...PROMETHEUS_SERIES, ...catalogue };
  const problems: string[] = [];
  const labelsInExpr = new Set(TARGET_LABELS);
  for (const fn of names.functions) {
    if (!FUNCTIONS.has(fn)) problems.push(`unknown function or misplaced name "${fn}"`);
  }
  for (const selector of names.selectors) {
    if (selector.name === '') {
      problems.push('a selector without a metric name');
      continue;
    }
    const resolved = resolve(selector.name, known);
    if (!resolved) {
      problems.push(`metric "${selector.name}" is not in the catalogue`);
      continue;
    }
    const allowed = new Set([...TARGET_LABELS, ...resolved.labels]);
    for (const label of allowed) labelsInExpr.add(label);
    for (const label of selector.matchers) {
      if (!allowed.has(label)) problems.push(`metric "${selector.name}" has no label "${label}"`);
    }
  }
  for (const label of names.grouping) {
    if (!labelsInExpr.has(label)) problems.push(`no metric in the expression has label "${label}"`);
  }
  return problems;
}

function resolve(name: string, known: Catalogue): { labels: string[] } | undefined {
  const entry = known[name];
  if (entry) return entry;
  for (const suffix of HISTOGRAM_SUFFIXES) {
    if (!name.endsWith(suffix)) continue;
    const base = known[name.slice(0, -suffix.length)];
    if (base?.type !== 'histogram') continue;
    return { labels: suffix === '_bucket' ? [...base.labels, 'le'] : base.labels };
  }
  return undefined;
}
