/*
 * TEMPORARY stand-in for the SSRF-safe egress client (replaced at merge by the real
 * `libs/webhooks/src/egress`). Same public API, implemented plainly: node:http(s) with a
 * connect and a total timeout, no redirects, a response cap, and `checkTargetUrl` that
 * checks the scheme, credentials and literal addresses against the allowlist.
 */
import http from 'node:http';
import https from 'node:https';
import { isIP } from 'node:net';

export interface EgressPolicy {
  /** Hosts / IPs / CIDRs allowed although private/loopback (WEBHOOK_ALLOW_HOSTS). */
  allow: readonly string[];
  /** Allow http: targets (default: only outside NODE_ENV=production, or when WEBHOOK_ALLOW_HTTP=true). */
  allowHttp: boolean;
}

export function parseEgressPolicy(env: {
  WEBHOOK_ALLOW_HOSTS?: string;
  WEBHOOK_ALLOW_HTTP?: string;
  NODE_ENV?: string;
}): EgressPolicy {
  const allow = (env.WEBHOOK_ALLOW_HOSTS ?? '')
    .split(',')
    .map((h) => h.trim().toLowerCase())
    .filter(Boolean);
  const flag = env.WEBHOOK_ALLOW_HTTP?.trim().toLowerCase();
  const allowHttp =
    flag === undefined || flag === '' ? env.NODE_ENV !== 'production' : flag === 'true';
  return { allow, allowHttp };
}

function privateAddress(ip: string): boolean {
  return (
    /^(127\.|10\.|192\.168\.|169\.254\.|0\.|172\.(1[6-9]|2\d|3[01])\.|22[4-9]\.|23\d\.)/.test(ip) ||
    ip === '::1' ||
    ip === '::' ||
    /^(fc|fd|fe80|ff)/i.test(ip)
  );
}

/** Checks a URL when it is saved: scheme, no credentials, literal IP addresses against the policy. Returns a reason or null. */
export function checkTargetUrl(url: string, policy: EgressPolicy): string | null {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return 'is not a valid URL';
  }
  if (parsed.protocol !== 'https:' && !(parsed.protocol === 'http:' && policy.allowHttp)) {
    return policy.allowHttp ? 'must be an http or https URL' : 'must be an https URL';
  }
  if (parsed.username || parsed.password) return 'must not contain credentials';
  const host = parsed.hostname.replace(/^\[|\]$/g, '').toLowerCase();
  if (isIP(host) && privateAddress(host) && !policy.allow.includes(host)) {
    return 'points to a private, loopback or link-local address';
  }
  if (host === 'localhost' && !policy.allow.includes(host)) return 'points to a loopback address';
  return null;
}

export interface EgressRequest {
  url: string;
  headers: Record<string, string>;
  body: string;
  connectTimeoutMs: number;
  totalTimeoutMs: number;
  maxResponseBytes: number;
  signal?: AbortSignal;
}
export interface EgressResult {
  status: number;
  latencyMs: number;
  responseBodyPrefix: string;
}

/** Thrown for a refused target (SSRF), a timeout, a network error, an oversized answer. */
export class EgressError extends Error {
  constructor(
    readonly kind: 'refused_address' | 'refused_url' | 'timeout' | 'network' | 'too_large',
    message: string,
    public latencyMs: number,
  ) {
    super(message);
    this.name = 'EgressError';
  }
}

const PREFIX_BYTES = 1024;

export class WebhookEgress {
  private readonly agents = {
    http: new http.Agent({ keepAlive: true }),
    https: new https.Agent({ keepAlive: true }),
  };

  constructor(private readonly policy: EgressPolicy) {}

  send(req: EgressRequest): Promise<EgressResult> {
    const started = performance.now();
    const elapsed = () => Math.round(performance.now() - started);
    const refused = checkTargetUrl(req.url, this.policy);
    if (refused) return Promise.reject(new EgressError('refused_url', `URL ${refused}`, 0));
    const url = new URL(req.url);
    const client = url.protocol === 'https:' ? https : http;
    return new Promise<EgressResult>((resolve, reject) => {
      let done = false;
      const fail = (error: EgressError) => {
        if (done) return;
        done = true;
        clearTimeout(total);
        clearTimeout(connect);
        request.destroy();
        reject(error);
      };
      const request = client.request(url, {
        method: 'POST',
        agent: url.protocol === 'https:' ? this.agents.https : this.agents.http,
        headers: { ...req.headers, 'content-length': String(Buffer.byteLength(req.body)) },
      });
      const total = setTimeout(
        () => fail(new EgressError('timeout', 'no complete answer in time', elapsed())),
        req.totalTimeoutMs,
      );
      const connect = setTimeout(
        () => fail(new EgressError('timeout', 'could not connect in time', elapsed())),
        req.connectTimeoutMs,
      );
      request.on('socket', (socket) => {
        if (!socket.connecting) clearTimeout(connect);
        else socket.once('connect', () => clearTimeout(connect));
      });
      req.signal?.addEventListener('abort', () =>
        fail(new EgressError('network', 'aborted', elapsed())),
      );
      request.on('error', (error) => fail(new EgressError('network', error.message, elapsed())));
      request.on('response', (response) => {
        const chunks: Buffer[] = [];
        let size = 0;
        response.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size > req.maxResponseBytes) {
            fail(new EgressError('too_large', 'the answer is too large', elapsed()));
            return;
          }
          if (size - chunk.length < PREFIX_BYTES) chunks.push(chunk);
        });
        response.on('error', (error) => fail(new EgressError('network', error.message, elapsed())));
        response.on('end', () => {
          if (done) return;
          done = true;
          clearTimeout(total);
          clearTimeout(connect);
          resolve({
            status: response.statusCode ?? 0,
            latencyMs: elapsed(),
            responseBodyPrefix: Buffer.concat(chunks).subarray(0, PREFIX_BYTES).toString('utf8'),
          });
        });
      });
      request.end(req.body);
    });
  }

  close(): Promise<void> {
    this.agents.http.destroy();
    this.agents.https.destroy();
    return Promise.resolve();
  }
}
