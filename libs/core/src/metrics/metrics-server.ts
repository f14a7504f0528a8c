import { createServer, type Server } from 'node:http';
import { AggregatorRegistry } from 'prom-client';

interface Exposition {
  contentType: string;
  body: Promise<string>;
}

/**
 * A plain `node:http` server for `GET /metrics`, on a port of its own: never on the API's
 * port, so an ingress cannot expose it by accident, and a scrape never waits behind API
 * traffic's hooks, guards or rate limits. Rejects when the port cannot be bound.
 */
export function serveMetrics(
  port: number,
  host: string,
  expose: () => Exposition,
): Promise<Server> {
  const server = createServer((request, response) => {
    const path = (request.url ?? '').split('?')[0];
    if (path !== '/metrics' || (request.method !== 'GET' && request.method !== 'HEAD')) {
      response.writeHead(404, { 'content-type': 'text/plain' }).end('Not Found\n');
      return;
    }
    const { contentType, body } = expose();
    body.then(
      (text) => response.writeHead(200, { 'content-type': contentType }).end(text),
      (error: unknown) =>
        response
          .writeHead(500, { 'content-type': 'text/plain' })
          .end(`metrics unavailable: ${error instanceof Error ? error.message : String(error)}\n`),
    );
  });
  // A scrape is one short request; idle connections must not hold the process at shutdown.
  server.keepAliveTimeout = 5_000;
  server.headersTimeout = 5_000;
  server.requestTimeout = 10_000;
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve(server);
    });
  });
}

/** For the cluster primary: the sum of its workers' figures (gauges as each declares). */
export function serveClusterMetrics(port: number, host: string): Promise<Server> {
  const aggregator = new AggregatorRegistry();
  return serveMetrics(port, host, () => ({
    contentType: aggregator.contentType,
    body: aggregator.clusterMetrics(),
  }));
}
