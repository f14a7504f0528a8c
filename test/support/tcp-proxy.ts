import { createConnection, createServer, type Server, type Socket } from 'node:net';

/** A server that accepts connections and never answers, like a frozen Redis. */
export class BlackHole {
  private readonly sockets = new Set<Socket>();
  private readonly server = createServer((socket) => {
    this.sockets.add(socket);
    socket.on('close', () => this.sockets.delete(socket));
    socket.on('error', () => socket.destroy());
  });

  async start(): Promise<number> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    return (this.server.address() as { port: number }).port;
  }

  async stop(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

/**
 * A TCP proxy to a real service that a test can cut and restore, to see how Keel
 * behaves while a dependency is unreachable, without touching the shared server.
 */
export class TcpProxy {
  private server?: Server;
  private readonly sockets = new Set<Socket>();
  private readonly pairs = new Set<[Socket, Socket]>();
  private dropping = false;
  private frozen = false;
  private blackholedAt = 0;
  port = 0;

  constructor(
    private readonly targetHost: string,
    private readonly targetPort: number,
  ) {}

  async start(port = this.port): Promise<number> {
    if (this.server) return this.port;
    this.server = createServer((client) => {
      const upstream = createConnection(this.targetPort, this.targetHost);
      for (const s of [client, upstream]) {
        this.sockets.add(s);
        s.on('close', () => this.sockets.delete(s));
        s.on('error', () => s.destroy());
      }
      const pair: [Socket, Socket] = [client, upstream];
      this.pairs.add(pair);
      client.on('close', () => this.pairs.delete(pair));
      if (this.dropping) return;
      client.pipe(upstream);
      if (!this.frozen) upstream.pipe(client);
    });
    await new Promise<void>((resolve) => this.server?.listen(port, '127.0.0.1', resolve));
    this.port = (this.server.address() as { port: number }).port;
    return this.port;
  }

  /** Refuses new connections and drops open ones. */
  async cut(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) =>
      this.server ? this.server.close(() => resolve()) : resolve(),
    );
    this.server = undefined;
  }

  /**
   * Stops passing the service's answers on, connections left open: a service that hangs
   * (a broker that never confirms) rather than one that is gone. `thaw` delivers them.
   */
  freeze(): void {
    this.frozen = true;
    for (const [client, upstream] of this.pairs) upstream.unpipe(client).pause();
  }

  thaw(): void {
    this.frozen = false;
    for (const [client, upstream] of this.pairs) upstream.pipe(client);
  }

  /**
   * A silent partition: nothing is forwarded either way and nothing is closed or refused, as
   * when packets are dropped. Bytes sent meanwhile wait, as TCP keeps them to retransmit.
   */
  blackhole(): void {
    this.dropping = true;
    this.blackholedAt = performance.now();
    for (const [client, upstream] of this.pairs) {
      client.unpipe(upstream).pause();
      upstream.unpipe(client).pause();
    }
  }

  /**
   * Ends the partition. New connections flow at once; a connection that was open during it
   * resumes only after as long again as the partition lasted, because TCP's retransmission
   * backoff doubles while nothing is acknowledged.
   */
  restore(): void {
    if (!this.dropping) return;
    this.dropping = false;
    const held = [...this.pairs];
    const backoff = setTimeout(() => held.forEach(forward), performance.now() - this.blackholedAt);
    backoff.unref();
  }
}

function forward([client, upstream]: [Socket, Socket]): void {
  client.pipe(upstream);
  upstream.pipe(client);
}

/**
 * Starts a proxy in front of the service at `url` and returns the same URL pointed at the
 * proxy (credentials and path kept), for the app under test to use.
 */
export async function proxyFor(
  url: string,
  defaultPort: number,
): Promise<{ proxy: TcpProxy; url: string }> {
  const target = new URL(url);
  const proxy = new TcpProxy(target.hostname, Number(target.port || defaultPort));
  const viaProxy = new URL(url);
  viaProxy.hostname = '127.0.0.1';
  viaProxy.port = String(await proxy.start());
  return { proxy, url: viaProxy.toString() };
}

/** Everything the server writes on `socket` until the connection closes. */
export function readUntilClosed(socket: Socket): Promise<string> {
  let text = '';
  socket.on('data', (chunk: Buffer) => (text += chunk.toString()));
  return new Promise((resolve) => {
    socket.once('close', () => resolve(text));
    socket.once('error', () => undefined);
  });
}
