import {
  EgressError,
  WebhookEgress,
  parseEgressPolicy,
  type EgressErrorKind,
  type EgressRequest,
  type ResolvedAddress,
} from '@keel/webhooks';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loopbackOnlyNetwork, type LoopbackOnlyNetwork } from './support/loopback-only-network';

/**
 * The webhook HTTP client against real receivers on 127.0.0.1. Nothing here may leave the
 * machine even when the guard is broken: `loopbackOnlyNetwork` fails (and records) every
 * socket to a non-loopback address and every system name lookup in this process, and
 * names are resolved by the fake resolver below, never by DNS.
 */

interface Hit {
  path: string;
  method: string;
  headers: http.IncomingHttpHeaders;
  body: string;
}

interface Receiver {
  port: number;
  hits: Hit[];
  /** For /huge: whether the whole stream was written before the client went away. */
  hugeFinished: boolean | undefined;
  close(): Promise<void>;
}

const HUGE_BYTES = 8 * 1024 * 1024;

function route(receiver: Receiver, other: () => Receiver) {
  return (req: http.IncomingMessage, res: http.ServerResponse): void => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => (body += chunk));
    req.on('end', () => {
      const path = req.url ?? '/';
      receiver.hits.push({ path, method: req.method ?? '', headers: req.headers, body });
      switch (path) {
        case '/ok':
          res.end('thanks');
          return;
        case '/close':
          res.setHeader('connection', 'close');
          res.end('bye');
          return;
        case '/status/500':
          res.writeHead(500).end('boom');
          return;
        case '/status/404':
          res.writeHead(404).end();
          return;
        case '/redirect-metadata':
          res.writeHead(302, { location: 'http://169.254.169.254/latest/meta-data/' }).end();
          return;
        case '/redirect-local':
          res.writeHead(307, { location: `http://127.0.0.1:${other().port}/ok` }).end();
          return;
        case '/hang':
          return; // never answers
        case '/stall-body':
          res.writeHead(200, { 'content-type': 'text/plain' });
          res.write('partial');
          return; // never ends
        case '/prefix':
          res.end('€'.repeat(400)); // 1200 bytes, three per character
          return;
        case '/huge-declared':
          res.writeHead(200, { 'content-length': String(HUGE_BYTES) });
          res.write('x'.repeat(1024));
          return;
        case '/huge':
          streamHuge(receiver, res);
          return;
        default:
          res.writeHead(404).end();
      }
    });
  };
}

/** Writes HUGE_BYTES as fast as the client reads them, and notes whether it got that far. */
function streamHuge(receiver: Receiver, res: http.ServerResponse): void {
  const chunk = Buffer.alloc(64 * 1024, 'y');
  let written = 0;
  receiver.hugeFinished = false;
  res.on('close', () => (receiver.hugeFinished = written >= HUGE_BYTES && res.writableFinished));
  const pump = (): void => {
    while (written < HUGE_BYTES && !res.destroyed) {
      written += chunk.length;
      if (!res.write(chunk)) {
        res.once('drain', pump);
        return;
      }
    }
    if (!res.destroyed) res.end();
  };
  res.writeHead(200);
  pump();
}

async function startReceiver(
  other: () => Receiver,
  tls?: { key: Buffer; cert: Buffer },
): Promise<Receiver> {
  const receiver: Receiver = {
    port: 0,
    hits: [],
    hugeFinished: undefined,
    close: () => Promise.resolve(),
  };
  const handler = route(receiver, other);
  const server = tls ? https.createServer(tls, handler) : http.createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  receiver.port = (server.address() as net.AddressInfo).port;
  receiver.close = () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return receiver;
}

/** Accepts TCP connections and never says a word: a TLS handshake with it never ends. */
async function startSilentServer(): Promise<{ port: number; close(): Promise<void> }> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

/** A self-signed certificate for receiver.test (and nothing else), made with openssl. */
function makeCertificate(): { key: Buffer; cert: Buffer } {
  const dir = mkdtempSync(join(tmpdir(), 'keel-egress-'));
  try {
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:prime256v1',
        '-nodes',
        '-keyout',
        join(dir, 'key.pem'),
        '-out',
        join(dir, 'cert.pem'),
        '-days',
        '1',
        '-subj',
        '/CN=receiver.test',
        '-addext',
        'subjectAltName=DNS:receiver.test',
      ],
      { stdio: 'ignore' },
    );
    return { key: readFileSync(join(dir, 'key.pem')), cert: readFileSync(join(dir, 'cert.pem')) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('webhook egress (SSRF guard and HTTP client)', () => {
  let network: LoopbackOnlyNetwork;
  let receiver: Receiver;
  let bystander: Receiver;
  let tlsReceiver: Receiver;
  let silent: { port: number; close(): Promise<void> };
  let certificate: { key: Buffer; cert: Buffer };
  const lookups: string[] = [];
  /** What each name resolves to now; a function answers differently each time. */
  const names = new Map<string, ResolvedAddress[] | (() => ResolvedAddress[])>([
    ['receiver.test', [{ address: '127.0.0.1', family: 4 }]],
    ['other.test', [{ address: '127.0.0.1', family: 4 }]],
    ['loopback.test', [{ address: '127.0.0.1', family: 4 }]],
    ['localtest', [{ address: '10.11.12.13', family: 4 }]],
    ['metadata.test', [{ address: '169.254.169.254', family: 4 }]],
    ['mapped.test', [{ address: '::ffff:127.0.0.1', family: 6 }]],
    [
      'mixed.test',
      [
        { address: '127.0.0.1', family: 4 },
        { address: '192.168.7.7', family: 4 },
      ],
    ],
  ]);
  const lookup = async (hostname: string): Promise<ResolvedAddress[]> => {
    lookups.push(hostname);
    if (hostname === 'slow-dns.test') return new Promise(() => {}); // never answers
    const answer = names.get(hostname);
    if (answer === undefined)
      throw Object.assign(new Error(`${hostname}: not found`), { code: 'ENOTFOUND' });
    return typeof answer === 'function' ? answer() : answer;
  };

  /** Only 127.0.0.1 and receiver.test allowlisted, as a deployment with local receivers. */
  let local: WebhookEgress;
  /** The production default: nothing private allowed. */
  let strict: WebhookEgress;
  const clients: WebhookEgress[] = [];
  const client = (allowHosts: string): WebhookEgress => {
    const policy = parseEgressPolicy({
      WEBHOOK_ALLOW_HOSTS: allowHosts,
      WEBHOOK_ALLOW_HTTP: 'true',
    });
    const egress = new WebhookEgress(policy, { lookup, ca: certificate.cert });
    clients.push(egress);
    return egress;
  };

  const request = (url: string, overrides: Partial<EgressRequest> = {}): EgressRequest => ({
    url,
    headers: { 'content-type': 'application/json', 'webhook-id': 'msg_1' },
    body: '{"type":"item.created"}',
    connectTimeoutMs: 2_000,
    totalTimeoutMs: 5_000,
    maxResponseBytes: 64 * 1024,
    ...overrides,
  });

  async function failure(egress: WebhookEgress, req: EgressRequest): Promise<EgressError> {
    const outcome = await egress.send(req).then(
      (result) => result,
      (err: unknown) => err,
    );
    if (!(outcome instanceof EgressError)) {
      throw new Error(`expected an EgressError, got ${JSON.stringify(outcome)}`);
    }
    return outcome;
  }

  beforeAll(async () => {
    network = loopbackOnlyNetwork();
    certificate = makeCertificate();
    receiver = await startReceiver(() => bystander);
    bystander = await startReceiver(() => receiver);
    tlsReceiver = await startReceiver(() => bystander, certificate);
    silent = await startSilentServer();
    local = client('127.0.0.1,receiver.test');
    strict = client('');
  });

  afterAll(async () => {
    await Promise.all(clients.map((c) => c.close()));
    await Promise.all([
      receiver?.close(),
      bystander?.close(),
      tlsReceiver?.close(),
      silent?.close(),
    ]);
    network?.restore();
  });

  afterEach(() => {
    // Whatever a test did, it never tried to open a socket off this machine or to ask DNS.
    const refused = network.refused.splice(0);
    lookups.length = 0;
    expect(refused).toEqual([]);
  });

  describe('reaching allowlisted receivers', () => {
    it('POSTs the body and headers to an allowlisted address and returns the answer', async () => {
      const result = await local.send(request(`http://127.0.0.1:${receiver.port}/ok`));
      expect(result).toEqual({
        status: 200,
        latencyMs: expect.any(Number),
        responseBodyPrefix: 'thanks',
      });
      const hit = receiver.hits.at(-1)!;
      expect(hit).toMatchObject({ path: '/ok', method: 'POST', body: '{"type":"item.created"}' });
      expect(hit.headers).toMatchObject({
        'content-type': 'application/json',
        'webhook-id': 'msg_1',
      });
    });

    it('reaches an allowlisted host name at the address it resolved to', async () => {
      network.connected.length = 0;
      const result = await local.send(request(`http://receiver.test:${bystander.port}/ok`));
      expect(result.status).toBe(200);
      expect(lookups).toEqual(['receiver.test']);
      expect(network.connected).toEqual([`127.0.0.1:${bystander.port}`]);
    });

    it('reuses a keep-alive connection, checked once when it was opened', async () => {
      const egress = client('receiver.test');
      network.connected.length = 0;
      for (let i = 0; i < 3; i++) {
        await egress.send(request(`http://receiver.test:${receiver.port}/ok`));
        // undici returns a connection to its pool a tick after the answer's last byte.
        await new Promise((resolve) => setImmediate(resolve));
      }
      expect(lookups).toEqual(['receiver.test']);
      expect(network.connected).toEqual([`127.0.0.1:${receiver.port}`]);
    });

    it('ends an attempt its caller cancels as a network failure', async () => {
      const controller = new AbortController();
      setTimeout(() => controller.abort(), 100);
      const err = await failure(
        local,
        request(`http://127.0.0.1:${receiver.port}/hang`, { signal: controller.signal }),
      );
      expect(err.kind).toBe('network');
      expect(err.message).toBe('the attempt was cancelled');
      expect(err.latencyMs).toBeLessThan(2_000);
    });

    it('speaks https to the resolved address but checks the certificate for the host name', async () => {
      const ok = await local.send(request(`https://receiver.test:${tlsReceiver.port}/ok`));
      expect(ok).toMatchObject({ status: 200, responseBodyPrefix: 'thanks' });

      // Same address, a name the certificate does not cover (allowlisted by its address).
      const wrongName = await failure(
        client('other.test'),
        request(`https://other.test:${tlsReceiver.port}/ok`),
      );
      expect(wrongName.kind).toBe('network');
      expect(wrongName.message).toMatch(/ERR_TLS_CERT_ALTNAME_INVALID/);
    });
  });

  describe('refused with the allowlist empty', () => {
    const refusals: Array<[string, (port: number) => string, EgressErrorKind, RegExp]> = [
      ['127.0.0.1', (port) => `http://127.0.0.1:${port}/ok`, 'refused_url', /loopback/],
      ['localhost', (port) => `http://localhost:${port}/ok`, 'refused_url', /loopback name/],
      ['[::1]', (port) => `http://[::1]:${port}/ok`, 'refused_url', /loopback/],
      [
        '[::ffff:127.0.0.1]',
        (port) => `http://[::ffff:127.0.0.1]:${port}/ok`,
        'refused_url',
        /IPv4-mapped loopback/,
      ],
      [
        '169.254.169.254',
        () => 'http://169.254.169.254/latest/meta-data/',
        'refused_url',
        /cloud metadata/,
      ],
      ['0.0.0.0', (port) => `http://0.0.0.0:${port}/ok`, 'refused_url', /unspecified/],
      [
        'a name resolving to 127.0.0.1',
        (port) => `http://loopback.test:${port}/ok`,
        'refused_address',
        /127\.0\.0\.1 is a loopback address/,
      ],
      [
        'a name resolving to ::ffff:127.0.0.1',
        (port) => `http://mapped.test:${port}/ok`,
        'refused_address',
        /IPv4-mapped loopback/,
      ],
      [
        'a name resolving to a private address',
        () => 'http://localtest/hook',
        'refused_address',
        /10\.11\.12\.13 is a private address/,
      ],
      [
        'a name resolving to the metadata address',
        () => 'http://metadata.test/latest/meta-data/',
        'refused_address',
        /cloud metadata/,
      ],
    ];

    it.each(refusals)('%s', async (_name, url, kind, reason) => {
      const before = receiver.hits.length;
      const err = await failure(strict, request(url(receiver.port)));
      expect(err.kind).toBe(kind);
      expect(err.message).toMatch(reason);
      expect(receiver.hits.length).toBe(before);
    });

    it('refuses a name when any of its addresses is refused, even if another is allowed', async () => {
      const before = receiver.hits.length;
      const err = await failure(local, request(`http://mixed.test:${receiver.port}/ok`));
      expect(err.kind).toBe('refused_address');
      expect(err.message).toMatch(/192\.168\.7\.7 is a private address/);
      expect(receiver.hits.length).toBe(before);
    });

    it('refuses http in production and URLs with credentials', async () => {
      const production = new WebhookEgress(
        parseEgressPolicy({ NODE_ENV: 'production', WEBHOOK_ALLOW_HOSTS: '127.0.0.1' }),
        { lookup },
      );
      clients.push(production);
      expect(
        (await failure(production, request(`http://127.0.0.1:${receiver.port}/ok`))).kind,
      ).toBe('refused_url');
      const withCredentials = await failure(
        local,
        request(`http://user:pw@127.0.0.1:${receiver.port}/ok`),
      );
      expect(withCredentials.kind).toBe('refused_url');
      expect(withCredentials.message).toMatch(/credentials/);
    });

    it('resolves and checks a name again for each new connection (DNS rebinding)', async () => {
      let answers = 0;
      names.set('rebinding.test', () =>
        answers++ === 0
          ? [{ address: '127.0.0.1', family: 4 }]
          : [{ address: '10.0.0.1', family: 4 }],
      );
      const egress = client('127.0.0.1');
      // The receiver closes the connection, so the second attempt must connect anew.
      const first = await egress.send(request(`http://rebinding.test:${receiver.port}/close`));
      expect(first.status).toBe(200);
      const before = receiver.hits.length;
      const second = await failure(egress, request(`http://rebinding.test:${receiver.port}/close`));
      expect(second.kind).toBe('refused_address');
      expect(second.message).toMatch(/10\.0\.0\.1 is a private address/);
      expect(receiver.hits.length).toBe(before);
      expect(lookups).toEqual(['rebinding.test', 'rebinding.test']);
    });
  });

  describe('redirects are answers, never followed', () => {
    it('returns a redirect to the metadata address as a 302 result', async () => {
      const result = await local.send(
        request(`http://127.0.0.1:${receiver.port}/redirect-metadata`),
      );
      expect(result.status).toBe(302);
    });

    it('does not follow a redirect even to an allowlisted receiver', async () => {
      const before = bystander.hits.length;
      const result = await local.send(request(`http://127.0.0.1:${receiver.port}/redirect-local`));
      expect(result.status).toBe(307);
      expect(bystander.hits.length).toBe(before);
    });
  });

  describe('any HTTP status is a result', () => {
    it.each([
      ['/status/500', 500, 'boom'],
      ['/status/404', 404, ''],
    ])('%s resolves with status %d', async (path, status, prefix) => {
      const result = await local.send(request(`http://127.0.0.1:${receiver.port}${path}`));
      expect(result).toMatchObject({ status, responseBodyPrefix: prefix });
    });

    it('keeps the first 1 KiB of the answer as text, without a cut character', async () => {
      const result = await local.send(request(`http://127.0.0.1:${receiver.port}/prefix`));
      expect(result.responseBodyPrefix).toBe('€'.repeat(341)); // 1023 bytes; the 342nd is cut
    });
  });

  describe('timeouts', () => {
    it('gives up on a connection whose TLS handshake never ends after the connect timeout', async () => {
      const err = await failure(
        local,
        request(`https://127.0.0.1:${silent.port}/ok`, {
          connectTimeoutMs: 300,
          totalTimeoutMs: 10_000,
        }),
      );
      expect(err.kind).toBe('timeout');
      expect(err.message).toMatch(/no connection within 300 ms/);
      expect(err.latencyMs).toBeGreaterThanOrEqual(250);
      expect(err.latencyMs).toBeLessThan(3_000);
    });

    it('counts name resolution in the connect timeout', async () => {
      const egress = client('slow-dns.test');
      const err = await failure(
        egress,
        request('http://slow-dns.test/hook', { connectTimeoutMs: 300, totalTimeoutMs: 10_000 }),
      );
      expect(err.kind).toBe('timeout');
      expect(err.message).toMatch(/no connection within 300 ms/);
    });

    it('gives up on a receiver that never answers after the total timeout', async () => {
      const err = await failure(
        local,
        request(`http://127.0.0.1:${receiver.port}/hang`, { totalTimeoutMs: 500 }),
      );
      expect(err.kind).toBe('timeout');
      expect(err.message).toMatch(/no complete answer within 500 ms/);
      expect(err.latencyMs).toBeGreaterThanOrEqual(450);
      expect(err.latencyMs).toBeLessThan(3_000);
    });

    it('gives up on an answer whose body never ends after the total timeout', async () => {
      const err = await failure(
        local,
        request(`http://127.0.0.1:${receiver.port}/stall-body`, { totalTimeoutMs: 500 }),
      );
      expect(err.kind).toBe('timeout');
      expect(err.latencyMs).toBeLessThan(3_000);
    });
  });

  describe('response size cap', () => {
    it('stops reading a receiver that streams megabytes once past the cap', async () => {
      const err = await failure(local, request(`http://127.0.0.1:${receiver.port}/huge`));
      expect(err.kind).toBe('too_large');
      expect(err.status).toBe(200);
      expect(err.message).toMatch(/larger than 65536 bytes/);
      await new Promise((resolve) => setTimeout(resolve, 100));
      expect(receiver.hugeFinished).toBe(false);
    });

    it('refuses an answer whose declared length is over the cap without reading it', async () => {
      const err = await failure(
        local,
        request(`http://127.0.0.1:${receiver.port}/huge-declared`, { totalTimeoutMs: 2_000 }),
      );
      expect(err.kind).toBe('too_large');
      expect(err.latencyMs).toBeLessThan(1_000);
    });
  });
});
