import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { load, loadAll } from 'js-yaml';

/**
 * How Prometheus reaches the pods' metrics port, followed through the manifests as the
 * cluster would: ServiceMonitor → metrics Services → pods → container port. And the rule
 * that keeps the port private: the public Service never routes to it.
 */

interface Labels {
  [key: string]: string;
}
interface Port {
  name: string;
  port?: number;
  containerPort?: number;
  targetPort?: string | number;
}
interface Container {
  name: string;
  ports?: Port[];
  env?: { name: string; value?: string }[];
}
interface Deployment {
  kind: 'Deployment';
  metadata: { name: string };
  spec: {
    template: {
      metadata: { labels: Labels; annotations?: Labels };
      spec: { containers: Container[] };
    };
  };
}
interface Service {
  kind: 'Service';
  metadata: { name: string; labels?: Labels };
  spec: {
    clusterIP?: string;
    type?: string;
    publishNotReadyAddresses?: boolean;
    selector: Labels;
    ports: Port[];
  };
}
interface Requirement {
  key: string;
  operator: 'In' | 'NotIn' | 'Exists' | 'DoesNotExist';
  values?: string[];
}
interface ServiceMonitor {
  kind: 'ServiceMonitor';
  apiVersion: string;
  spec: {
    jobLabel?: string;
    selector: { matchLabels?: Labels; matchExpressions?: Requirement[] };
    endpoints: { port: string; path?: string; interval?: string }[];
  };
}

const DIR = __dirname;
const documents = readdirSync(DIR)
  .filter((f) => f.endsWith('.yaml'))
  .flatMap((f) => loadAll(readFileSync(join(DIR, f), 'utf8')) as { kind: string }[]);
const deployments = documents.filter((d): d is Deployment => d.kind === 'Deployment');
const services = documents.filter((d): d is Service => d.kind === 'Service');
const monitor = load(
  readFileSync(join(DIR, 'prometheus-operator', 'servicemonitor.yaml'), 'utf8'),
) as ServiceMonitor;

const METRICS_PORT = 9464;
/** The jobs alerts and dashboards expect, as the local scrape configuration names them. */
const JOBS = (
  load(readFileSync(join(DIR, '..', 'prometheus', 'prometheus.yml'), 'utf8')) as {
    scrape_configs: { job_name: string }[];
  }
).scrape_configs.map((c) => c.job_name);

function selects(selector: Labels, labels: Labels): boolean {
  return Object.entries(selector).every(([key, value]) => labels[key] === value);
}

function matchesExpression(r: Requirement, labels: Labels): boolean {
  switch (r.operator) {
    case 'In':
      return r.key in labels && (r.values ?? []).includes(labels[r.key]);
    case 'NotIn':
      return !(r.key in labels) || !(r.values ?? []).includes(labels[r.key]);
    case 'Exists':
      return r.key in labels;
    case 'DoesNotExist':
      return !(r.key in labels);
  }
}

function podsOf(service: Service): Deployment[] {
  return deployments.filter((d) => selects(service.spec.selector, d.spec.template.metadata.labels));
}

/** The container ports a Service port reaches, by name or number. */
function containerPortsFor(service: Service, port: Port): Port[] {
  return podsOf(service).flatMap((d) =>
    d.spec.template.spec.containers.flatMap((c) =>
      (c.ports ?? []).filter((p) =>
        typeof port.targetPort === 'string'
          ? p.name === port.targetPort
          : p.containerPort === (port.targetPort ?? port.port),
      ),
    ),
  );
}

describe('Kubernetes manifests: metrics', () => {
  it.each(['keel-api', 'keel-worker'])(
    '%s: port 9464 named metrics, METRICS_PORT and the scrape annotations',
    (name) => {
      const deployment = deployments.find((d) => d.metadata.name === name);
      const [container] = deployment?.spec.template.spec.containers ?? [];
      expect({
        port: container?.ports?.find((p) => p.name === 'metrics'),
        env: container?.env?.find((e) => e.name === 'METRICS_PORT')?.value,
        annotations: deployment?.spec.template.metadata.annotations,
      }).toEqual({
        port: { name: 'metrics', containerPort: METRICS_PORT, protocol: 'TCP' },
        env: String(METRICS_PORT),
        annotations: {
          'prometheus.io/scrape': 'true',
          'prometheus.io/port': String(METRICS_PORT),
          'prometheus.io/path': '/metrics',
        },
      });
    },
  );

  it('the public Service reaches no metrics port', () => {
    const publicService = services.find((s) => s.metadata.name === 'keel-api');
    expect(publicService).toBeDefined();
    const reached = (publicService?.spec.ports ?? []).flatMap((port) =>
      containerPortsFor(publicService as Service, port),
    );
    expect(reached.map((p) => p.name)).toEqual(['http']);
  });

  it('the ServiceMonitor selects only the headless metrics Services, one per job', () => {
    const selected = services.filter((s) => {
      const labels = s.metadata.labels ?? {};
      const { matchLabels = {}, matchExpressions = [] } = monitor.spec.selector;
      return (
        selects(matchLabels, labels) && matchExpressions.every((r) => matchesExpression(r, labels))
      );
    });
    expect(monitor.apiVersion).toBe('monitoring.coreos.com/v1');
    expect(selected.map((s) => s.metadata.labels?.[monitor.spec.jobLabel ?? ''])).toEqual(JOBS);
    expect(
      selected.map((s) => ({
        name: s.metadata.name,
        job: s.metadata.labels?.[monitor.spec.jobLabel ?? ''],
        clusterIP: s.spec.clusterIP,
        publishNotReadyAddresses: s.spec.publishNotReadyAddresses,
        pods: podsOf(s).map((d) => d.metadata.name),
      })),
    ).toEqual([
      {
        name: 'keel-api-metrics',
        job: 'keel-api',
        clusterIP: 'None',
        publishNotReadyAddresses: true,
        pods: ['keel-api'],
      },
      {
        name: 'keel-worker-metrics',
        job: 'keel-worker',
        clusterIP: 'None',
        publishNotReadyAddresses: true,
        pods: ['keel-worker'],
      },
    ]);
    // The monitor's endpoint port, on each Service, reaches the containers' metrics port.
    for (const service of selected) {
      const reached = monitor.spec.endpoints.flatMap((endpoint) =>
        service.spec.ports
          .filter((p) => p.name === endpoint.port)
          .flatMap((p) => containerPortsFor(service, p)),
      );
      expect(reached.map((p) => [p.name, p.containerPort])).toEqual([['metrics', METRICS_PORT]]);
    }
    expect(monitor.spec.endpoints).toEqual([
      { port: 'metrics', path: '/metrics', interval: '15s', scrapeTimeout: '10s' },
    ]);
  });
});
