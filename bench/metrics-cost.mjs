// What recording one request's duration costs with each metrics library Keel could use:
// prom-client (what Keel uses) and the OpenTelemetry metrics SDK behind its Prometheus
// exporter, the same histogram (buckets and labels) in both, measured in turn in one process.
//
//   node bench/metrics-cost.mjs [--observations 1000000] [--rounds 5]
//
// Prints nanoseconds per observation (the median of the rounds) and the time one scrape takes
// to render. `bench/compare.mjs --variant on=. --variant off=.,METRICS_PORT=0` measures the
// cost inside Keel, where it is within the noise of a request's own.
import { PrometheusExporter } from '@opentelemetry/exporter-prometheus';
import { MeterProvider } from '@opentelemetry/sdk-metrics';
import { parseArgs } from 'node:util';
import { Histogram, Registry } from 'prom-client';

const { values: args } = parseArgs({
  options: {
    observations: { type: 'string', default: '1000000' },
    rounds: { type: 'string', default: '5' },
  },
});
const N = Number(args.observations);
const BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10];
const ROUTES = ['/v1/items/:id', '/v1/items', '/v1/auth/login', '/health/ready'];
const STATUSES = [200, 201, 304, 404];

const registry = new Registry();
const prom = new Histogram({
  name: 'http_server_request_duration_seconds',
  help: 'HTTP server request duration',
  labelNames: ['http_request_method', 'http_route', 'http_response_status_code'],
  buckets: BUCKETS,
  registers: [registry],
});

const exporter = new PrometheusExporter({ preventServerStart: true });
const provider = new MeterProvider({ readers: [exporter] });
const otel = provider.getMeter('keel').createHistogram('http.server.request.duration', {
  unit: 's',
  advice: { explicitBucketBoundaries: BUCKETS },
});

const libraries = {
  'prom-client': (method, route, status, seconds) =>
    prom.observe(
      { http_request_method: method, http_route: route, http_response_status_code: status },
      seconds,
    ),
  'OpenTelemetry SDK': (method, route, status, seconds) =>
    otel.record(seconds, {
      'http.request.method': method,
      'http.route': route,
      'http.response.status_code': status,
    }),
};

function nsPerObservation(record) {
  const start = process.hrtime.bigint();
  for (let i = 0; i < N; i++) record('GET', ROUTES[i & 3], STATUSES[(i >> 2) & 3], 0.003);
  return Number(process.hrtime.bigint() - start) / N;
}

const results = Object.fromEntries(Object.keys(libraries).map((name) => [name, []]));
for (let round = 0; round < Number(args.rounds); round++) {
  // Alternating, so that whatever else the machine does weighs on both alike.
  for (const [name, record] of Object.entries(libraries)) {
    results[name].push(nsPerObservation(record));
  }
}

async function msPerScrape(render) {
  const start = process.hrtime.bigint();
  for (let i = 0; i < 20; i++) await render();
  return Number(process.hrtime.bigint() - start) / 20 / 1e6;
}
const scrape = {
  'prom-client': await msPerScrape(() => registry.metrics()),
  'OpenTelemetry SDK': await msPerScrape(async () => {
    const { resourceMetrics } = await exporter.collect();
    return exporter['_serializer'].serialize(resourceMetrics);
  }),
};

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
console.log(
  `| library | ns per observation (median of ${args.rounds}) | ms per scrape (${ROUTES.length * STATUSES.length} series) |`,
);
console.log('|---|--:|--:|');
for (const name of Object.keys(libraries)) {
  console.log(`| ${name} | ${median(results[name]).toFixed(0)} | ${scrape[name].toFixed(2)} |`);
}
console.log(
  `\n${new Date().toISOString().slice(0, 10)}, Node ${process.version}, ${N} observations per round`,
);
