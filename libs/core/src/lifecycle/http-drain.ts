import type { IncomingMessage, Server, ServerResponse } from 'node:http';

/**
 * Sheds an HTTP server's keep-alive connections without resetting a request on any of them.
 *
 * From `begin()`, every response carries `Connection: close`, so Node closes each socket right
 * after the response it serves and the client's next request opens a new connection (here
 * until the listener closes, then wherever the load balancer sends it). A socket is never
 * closed under a request the client may already be sending, which is what resets reused
 * keep-alive connections. Sockets idle since before `begin()` are closed when the listener
 * closes (Fastify's `forceCloseConnections: 'idle'`), after `SHUTDOWN_DELAY_MS`, by which
 * time the load balancer no longer sends requests to this process.
 */
export class HttpDrain {
  private draining = false;

  constructor(server: Server) {
    // Before Fastify's own listener, so it holds for every answer, 404s and hook errors too.
    server.prependListener('request', (_request: IncomingMessage, response: ServerResponse) => {
      if (this.draining) response.setHeader('connection', 'close');
    });
  }

  begin(): void {
    this.draining = true;
  }
}
