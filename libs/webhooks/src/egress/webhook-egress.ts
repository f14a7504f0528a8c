import { lookup as systemLookup } from 'node:dns/promises';
import { isIP, type Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import { Agent, buildConnector, errors, type Dispatcher } from 'undici';
import { checkAddress, checkTargetUrl, type EgressPolicy } from './egress-policy';

export interface EgressRequest {
  url: string;
  headers: Record<string, string>;
  body: string;
  /** Name resolution, TCP and TLS handshake of a new connection. */
  connectTimeoutMs: number;
  /** The whole attempt, from the start to the end of the (capped) answer. */
  totalTimeoutMs: number;
  /** A larger answer fails the attempt (`too_large`). */
  maxResponseBytes: number;
  signal?: AbortSignal;
}

export interface EgressResult {
  status: number;
  latencyMs: number;
  /** The first 1 KiB of the answer, as text. */
  responseBodyPrefix: string;
}

export type EgressErrorKind =
  'refused_address' | 'refused_url' | 'timeout' | 'network' | 'too_large';

/** Thrown for a refused target (SSRF), a timeout, a network error, an oversized answer. */
export class EgressError extends Error {
  override readonly name = 'EgressError';
  /** For `too_large`: the status of the answer that was too large. */
  readonly status?: number;

  constructor(
    readonly kind: EgressErrorKind,
    message: string,
    public latencyMs: number,
    options: { cause?: unknown; status?: number } = {},
  ) {
    super(message, { cause: options.cause });
    this.status = options.status;
  }
}

export interface ResolvedAddress {
  address: string;
  family: number;
}

export interface WebhookEgressOptions {
  /** All addresses of a host name (default: the system resolver, as `dns.lookup` with `all`). */
  lookup?: (hostname: string) => Promise<readonly ResolvedAddress[]>;
  /**
   * Certificate authorities to trust instead of Node's bundled ones (receivers behind a
   * private CA, and the tests' own certificates).
   */
  ca?: string | Buffer | Array<string | Buffer>;
}

const PREFIX_BYTES = 1024;

/** Raised inside the connector, mapped to `refused_address` by `send`. */
class RefusedAddressError extends Error {
  override readonly name = 'RefusedAddressError';
}

class ResponseTooLargeError extends Error {
  constructor(
    readonly status: number,
    limit: number,
  ) {
    super(`the answer is larger than ${limit} bytes`);
  }
}

/**
 * The HTTP client for webhook deliveries. Every new connection resolves its host, checks
 * every address against the policy and connects to a checked address itself, so nothing
 * resolves the name again between the check and the connect (DNS rebinding). Keep-alive
 * connections are reused per origin; each was checked when it was made. Redirects are not
 * followed: a 3xx is a result like any other status.
 */
export class WebhookEgress {
  private readonly agents = new Map<number, Agent>();
  private readonly lookup: (hostname: string) => Promise<readonly ResolvedAddress[]>;
  private closed = false;

  constructor(
    private readonly policy: EgressPolicy,
    private readonly options: WebhookEgressOptions = {},
  ) {
    this.lookup =
      options.lookup ?? ((hostname) => systemLookup(hostname, { all: true, order: 'verbatim' }));
  }

  async send(req: EgressRequest): Promise<EgressResult> {
    const started = performance.now();
    const elapsed = (): number => Math.round(performance.now() - started);
    const refusal = checkTargetUrl(req.url, this.policy);
    if (refusal !== null) throw new EgressError('refused_url', `target URL ${refusal}`, elapsed());
    if (this.closed) throw new EgressError('network', 'the webhook client is closed', elapsed());

    const url = new URL(req.url);
    const total = AbortSignal.timeout(req.totalTimeoutMs);
    const signal = req.signal ? AbortSignal.any([total, req.signal]) : total;
    let response: Dispatcher.ResponseData | undefined;
    try {
      response = await this.agentFor(req.connectTimeoutMs).request({
        origin: url.origin,
        path: `${url.pathname}${url.search}`,
        method: 'POST',
        headers: req.headers,
        body: req.body,
        signal,
        headersTimeout: req.totalTimeoutMs,
        bodyTimeout: req.totalTimeoutMs,
      });
      const responseBodyPrefix = await readCapped(response, req.maxResponseBytes);
      return { status: response.statusCode, latencyMs: elapsed(), responseBodyPrefix };
    } catch (err) {
      response?.body.destroy();
      throw egressErrorOf(err, elapsed(), req, total);
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    const agents = [...this.agents.values()];
    this.agents.clear();
    await Promise.all(agents.map((agent) => agent.close()));
  }

  /** One pool per connect timeout (the connector's timeout is fixed when it is built). */
  private agentFor(connectTimeoutMs: number): Agent {
    let agent = this.agents.get(connectTimeoutMs);
    if (!agent) {
      agent = new Agent({ allowH2: false, connect: this.guardedConnector(connectTimeoutMs) });
      this.agents.set(connectTimeoutMs, agent);
    }
    return agent;
  }

  /**
   * Resolves, checks every address, then connects to the checked addresses in turn, with
   * the original name kept for TLS (SNI and certificate check). The timeout covers all of it.
   */
  private guardedConnector(timeoutMs: number): buildConnector.connector {
    const connect = buildConnector({ allowH2: false, timeout: timeoutMs, ca: this.options.ca });
    return (opts, callback) => {
      let settled = false;
      let socket: Socket | undefined;
      const finish = (err: Error | null, connected?: Socket): void => {
        if (settled) {
          connected?.destroy();
          return;
        }
        settled = true;
        clearTimeout(timer);
        if (err) callback(err, null);
        else callback(null, connected!);
      };
      const timer = setTimeout(() => {
        socket?.destroy();
        finish(
          new errors.ConnectTimeoutError(
            `Connect Timeout Error (${opts.hostname}:${opts.port}, timeout: ${timeoutMs}ms)`,
          ),
        );
      }, timeoutMs);

      // The name for TLS (SNI, certificate check); plain http gets none, or undici would hand
      // the name to net.connect with a lookup returning the address.
      const servername =
        opts.protocol === 'https:' && !isIP(opts.hostname) ? opts.hostname : undefined;
      const tryAddress = (addresses: readonly string[], index: number): void => {
        if (settled) return;
        const address = addresses[index];
        try {
          socket = connect({ ...opts, hostname: address, servername }, (err, connected) => {
            if (err && index + 1 < addresses.length && !settled) tryAddress(addresses, index + 1);
            else finish(err, connected ?? undefined);
          }) as Socket | undefined;
        } catch (err) {
          finish(err instanceof Error ? err : new Error(String(err)));
        }
      };
      this.checkedAddresses(opts.hostname).then(
        (addresses) => tryAddress(addresses, 0),
        (err: Error) => finish(err),
      );
    };
  }

  /** Every address the host has, each allowed by the policy; otherwise it throws. */
  private async checkedAddresses(hostname: string): Promise<string[]> {
    const addresses = isIP(hostname)
      ? [hostname]
      : [...new Set((await this.lookup(hostname)).map((resolved) => resolved.address))];
    if (addresses.length === 0) throw new Error(`${hostname} has no address`);
    for (const address of addresses) {
      const refusal = checkAddress(address, hostname, this.policy);
      if (refusal !== null) throw new RefusedAddressError(`${hostname}: ${refusal}`);
    }
    return addresses;
  }
}

/** The answer's first bytes as text; fails once it grows past `limit` bytes. */
async function readCapped(response: Dispatcher.ResponseData, limit: number): Promise<string> {
  const declared = Number(response.headers['content-length']);
  if (Number.isFinite(declared) && declared > limit) {
    throw new ResponseTooLargeError(response.statusCode, limit);
  }
  const prefix: Buffer[] = [];
  let prefixBytes = 0;
  let received = 0;
  for await (const chunk of response.body as AsyncIterable<Buffer>) {
    received += chunk.length;
    if (received > limit) throw new ResponseTooLargeError(response.statusCode, limit);
    if (prefixBytes < PREFIX_BYTES) {
      const part = chunk.subarray(0, PREFIX_BYTES - prefixBytes);
      prefix.push(part);
      prefixBytes += part.length;
    }
  }
  // stream: true drops a character cut in half at the 1 KiB boundary instead of mangling it.
  return new TextDecoder().decode(Buffer.concat(prefix), { stream: true });
}

function egressErrorOf(
  err: unknown,
  latencyMs: number,
  req: EgressRequest,
  total: AbortSignal,
): EgressError {
  if (err instanceof EgressError) return err;
  const refused = causeChain(err).find((e) => e instanceof RefusedAddressError);
  if (refused)
    return new EgressError('refused_address', refused.message, latencyMs, { cause: err });
  if (err instanceof ResponseTooLargeError) {
    return new EgressError('too_large', err.message, latencyMs, { cause: err, status: err.status });
  }
  const code = (err as { code?: unknown } | null)?.code;
  if (code === 'UND_ERR_CONNECT_TIMEOUT') {
    return new EgressError(
      'timeout',
      `no connection within ${req.connectTimeoutMs} ms`,
      latencyMs,
      {
        cause: err,
      },
    );
  }
  if (total.aborted || code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT') {
    return new EgressError(
      'timeout',
      `no complete answer within ${req.totalTimeoutMs} ms`,
      latencyMs,
      {
        cause: err,
      },
    );
  }
  if (req.signal?.aborted) {
    return new EgressError('network', 'the attempt was cancelled', latencyMs, { cause: err });
  }
  const message = err instanceof Error ? err.message : String(err);
  return new EgressError(
    'network',
    typeof code === 'string' ? `${code}: ${message}` : message,
    latencyMs,
    {
      cause: err,
    },
  );
}

function causeChain(err: unknown): unknown[] {
  const chain: unknown[] = [];
  for (let e = err; e !== undefined && e !== null && chain.length < 10; e = (e as Error).cause) {
    chain.push(e);
  }
  return chain;
}
