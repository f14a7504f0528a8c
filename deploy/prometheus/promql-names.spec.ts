import { checkExpr, loadCatalogue, namesIn, type Catalogue } from './promql-names';

const catalogue: Catalogue = {
  http_server_request_duration_seconds: {
    type: 'histogram',
    labels: ['http_route', 'http_response_status_code'],
  },
  keel_jobs_failed_total: { type: 'counter', labels: ['job_type'] },
  keel_outbox_lag_seconds: { type: 'gauge', labels: [] },
};

describe('namesIn', () => {
  it('reads metric names, matcher labels, grouping labels and functions', () => {
    const names = namesIn(
      'histogram_quantile(0.99, sum by (le, http_route) (rate(http_server_request_duration_seconds_bucket{job=~"$job", http_route!="/v1/events/stream"}[$__rate_interval])))',
    );
    expect(names).toEqual({
      selectors: [
        { name: 'http_server_request_duration_seconds_bucket', matchers: ['job', 'http_route'] },
      ],
      grouping: ['le', 'http_route'],
      functions: ['histogram_quantile', 'sum', 'rate'],
    });
  });

  it('does not take label values, durations, keywords or numbers for names', () => {
    const names = namesIn(
      'sum by (job) (increase(keel_jobs_failed_total{job_type="items.import"}[15m] offset 5m)) > bool 0.5e1 and on (job) up unless absent(up{job="keel-api"})',
    );
    expect(names.selectors.map((s) => s.name)).toEqual(['keel_jobs_failed_total', 'up', 'up']);
    expect(names.grouping).toEqual(['job', 'job']);
  });
});

describe('checkExpr', () => {
  it('accepts catalogue names, histogram series and the labels Prometheus adds', () => {
    expect(
      checkExpr(
        'sum by (job, instance, http_route) (rate(http_server_request_duration_seconds_count{http_route="/x"}[5m])) / on (job) group_left max by (job) (keel_outbox_lag_seconds)',
        catalogue,
      ),
    ).toEqual([]);
    expect(checkExpr('up{job="keel-api"} == 0', catalogue)).toEqual([]);
  });

  it('reports a metric that is not in the catalogue', () => {
    expect(checkExpr('rate(keel_jobs_failures_total[5m])', catalogue)).toEqual([
      'metric "keel_jobs_failures_total" is not in the catalogue',
    ]);
  });

  it('accepts _bucket, _sum and _count only on histograms, and le only on _bucket', () => {
    expect(checkExpr('keel_jobs_failed_total_count', catalogue)).toEqual([
      'metric "keel_jobs_failed_total_count" is not in the catalogue',
    ]);
    expect(checkExpr('http_server_request_duration_seconds_sum{le="1"}', catalogue)).toEqual([
      'metric "http_server_request_duration_seconds_sum" has no label "le"',
    ]);
  });

  it('reports a matcher label the metric does not have', () => {
    expect(checkExpr('keel_jobs_failed_total{type="items.import"}', catalogue)).toEqual([
      'metric "keel_jobs_failed_total" has no label "type"',
    ]);
  });

  it('reports a grouping label no metric of the expression has', () => {
    expect(checkExpr('sum by (route) (keel_outbox_lag_seconds)', catalogue)).toEqual([
      'no metric in the expression has label "route"',
    ]);
  });

  it('reports an unknown function (or a metric name written as a call)', () => {
    expect(checkExpr('ratee(keel_outbox_lag_seconds[5m])', catalogue)).toEqual([
      'unknown function or misplaced name "ratee"',
    ]);
  });
});

describe('metric-names.json', () => {
  it('lists each metric with a known type, every counter named *_total', () => {
    const metrics = loadCatalogue();
    expect(Object.keys(metrics).length).toBeGreaterThan(0);
    for (const [name, entry] of Object.entries(metrics)) {
      expect({ name, type: entry.type }).toEqual({
        name,
        type: expect.stringMatching(/^(counter|gauge|histogram)$/),
      });
      if (entry.type === 'counter') expect(name).toMatch(/_total$/);
    }
  });
});
